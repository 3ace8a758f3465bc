"""The queue's rules as plain data: backoff, the end of attempts, periodic slots."""
from datetime import datetime, timedelta, timezone

import pytest

from vault.jobs import policy

NOW = datetime(2026, 12, 6, 10, 7, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("attempts, seconds", [(1, 30), (2, 60), (3, 120), (4, 240), (10, 3600)])
def test_backoff_doubles_and_is_capped(attempts, seconds):
    assert policy.retry_delay(attempts, base_seconds=30, cap_seconds=3600) == timedelta(seconds=seconds)


@pytest.mark.parametrize("attempts, max_attempts, expected", [
    (1, 3, ("retry", NOW + timedelta(seconds=10))),
    (2, 3, ("retry", NOW + timedelta(seconds=20))),
    (3, 3, ("dead", None)),
    (1, 1, ("dead", None)),
])
def test_after_failure(attempts, max_attempts, expected):
    assert policy.after_failure(attempts, max_attempts, NOW, base_seconds=10) == expected


@pytest.mark.parametrize("every, start", [
    (timedelta(minutes=10), datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)),
    (timedelta(hours=1), datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)),
    (timedelta(minutes=15), datetime(2026, 12, 6, 10, 0, tzinfo=timezone.utc)),
    (timedelta(seconds=45), datetime(2026, 12, 6, 10, 7, 30, tzinfo=timezone.utc)),
    (timedelta(days=1), datetime(2026, 12, 6, tzinfo=timezone.utc)),
])
def test_slots_are_the_same_on_every_host(every, start):
    assert policy.slot_start(NOW, every) == start
    assert policy.slot_start(start, every) == start  # a slot starts in itself
    assert policy.slot_start(start + every - timedelta(microseconds=1), every) == start


def test_registering_two_handlers_for_one_kind_is_refused():
    @policy.handler("test.policy.once")
    def first(ctx, payload):
        return None

    with pytest.raises(ValueError, match="two handlers"):
        @policy.handler("test.policy.once")
        def second(ctx, payload):
            return None

    with pytest.raises(ValueError):
        policy.periodic("test.policy.never", every=timedelta(0))
