"""The pure core: stages, days and filters (table-driven, no app)."""
from datetime import date, timedelta

import pytest

from vault.expiry.obligations import Filters, Obligation, apply_filters, collect
from vault.expiry.reminders import stage_for

D = date(2026, 6, 30)
THRESHOLDS = [90, 30, 7, 1]


def ob(due=D, **kw):
    return Obligation(key=kw.pop("key", "k"), kind=kw.pop("kind", "document_expiry"), title=kw.pop("title", "ISO"),
                      due_on=due, **kw)


@pytest.mark.parametrize("days_before, stage", [
    (200, None), (91, None), (90, "before:90"), (31, "before:90"), (30, "before:30"), (8, "before:30"),
    (7, "before:7"), (2, "before:7"), (1, "before:1"), (0, "before:1"),
    (-1, "overdue:0"), (-7, "overdue:0"), (-8, "overdue:1"), (-14, "overdue:1"), (-15, "overdue:2"),
])
def test_stage_by_days_before_the_last_good_day(days_before, stage):
    today = D - timedelta(days=days_before)
    assert stage_for(ob(), today, THRESHOLDS, 7) == stage


def test_no_repeat_kinds_send_one_overdue_notice_only():
    grant = ob(repeat_overdue=False)
    assert stage_for(grant, D + timedelta(days=1), THRESHOLDS, 7) == "overdue:0"
    assert stage_for(grant, D + timedelta(days=30), THRESHOLDS, 7) == "overdue:0"


def test_lapsed_obligations_are_overdue_from_their_day():
    stale = ob(lapsed=True)
    assert stale.days_overdue(D) == 1 and stale.is_overdue(D)
    assert stage_for(stale, D, THRESHOLDS, 7) == "overdue:0"
    assert stage_for(stale, D + timedelta(days=7), THRESHOLDS, 7) == "overdue:1"
    assert not ob().is_overdue(D) and ob().is_overdue(D + timedelta(days=1))


def test_filters_horizon_type_owner_framework():
    today = D
    items = [ob(D - timedelta(days=3), key="over", owner_id=1, frameworks=("soc2",)),
             ob(D + timedelta(days=20), key="in20", kind="grant_expiry"),
             ob(D + timedelta(days=45), key="in45", owner_id=2, frameworks=("iso27001",)),
             ob(D + timedelta(days=80), key="in80", owner_id=1),
             ob(D + timedelta(days=200), key="in200")]

    def keys(**kw):
        return [o.key for o in apply_filters(items, Filters(**kw), today)]

    assert keys() == ["over", "in20", "in45", "in80", "in200"]
    assert keys(horizon="overdue") == ["over"]
    assert keys(horizon="30") == ["over", "in20"]  # overdue items stay in every horizon
    assert keys(horizon="60") == ["over", "in20", "in45"]
    assert keys(horizon="90") == ["over", "in20", "in45", "in80"]
    assert keys(kind="grant_expiry") == ["in20"]
    assert keys(owner="1") == ["over", "in80"]
    assert keys(owner="none") == ["in20", "in200"]
    assert keys(framework="soc2") == ["over"]


def test_filters_parse_ignores_junk():
    f = Filters.parse({"horizon": "365", "owner": "1 OR 1=1", "type": "x" * 100, "framework": "soc2"})
    assert f.horizon == "" and f.owner == "" and len(f.kind) == 32 and f.framework == "soc2"
    assert Filters.parse({"horizon": "overdue", "owner": "none"}).as_args() == {"horizon": "overdue", "owner": "none"}


def test_a_failing_provider_never_hides_the_others():
    def good(_session, _today):
        return [ob(D + timedelta(days=2), key="b"), ob(D, key="a"), ob(D, key="a")]  # duplicates dropped

    def broken(_session, _today):
        raise RuntimeError("access tables missing")

    out = collect(None, D, {"good": good, "broken": broken})
    assert [o.key for o in out.obligations] == ["a", "b"]
    assert out.errors == {"broken": "RuntimeError: access tables missing"}
