from datetime import date

import pytest

from vault.documents.status import StatusKind, expiry_status

TODAY = date(2025, 6, 15)


@pytest.mark.parametrize("expiry, has_version, kind, days", [
    (None, False, StatusKind.NO_VERSION, None),
    (date(2030, 1, 1), False, StatusKind.NO_VERSION, None),
    (None, True, StatusKind.NO_EXPIRY, None),
    (date(2025, 6, 14), True, StatusKind.EXPIRED, -1),
    (date(2024, 6, 15), True, StatusKind.EXPIRED, -365),
    (date(2025, 6, 15), True, StatusKind.EXPIRING, 0),  # the expiry date is the last valid day
    (date(2025, 6, 16), True, StatusKind.EXPIRING, 1),
    (date(2025, 8, 14), True, StatusKind.EXPIRING, 60),  # edge of the 60-day window
    (date(2025, 8, 15), True, StatusKind.VALID, 61),
    (date(2028, 6, 15), True, StatusKind.VALID, 1096),
])
def test_expiry_status(expiry, has_version, kind, days):
    status = expiry_status(expiry, today=TODAY, warning_days=60, has_version=has_version)
    assert status.kind == kind
    assert status.days_left == days


@pytest.mark.parametrize("warning_days, kind", [(0, StatusKind.VALID), (10, StatusKind.EXPIRING), (9, StatusKind.VALID)])
def test_warning_window_is_configurable(warning_days, kind):
    assert expiry_status(date(2025, 6, 25), today=TODAY, warning_days=warning_days).kind == kind


def test_badges():
    assert expiry_status(None, today=TODAY, warning_days=60).badge == "badge-none"
    assert expiry_status(date(2025, 1, 1), today=TODAY, warning_days=60).badge == "badge-expired"
    assert expiry_status(date(2025, 7, 1), today=TODAY, warning_days=60).badge == "badge-soon"
    assert expiry_status(date(2027, 7, 1), today=TODAY, warning_days=60).badge == "badge-valid"
