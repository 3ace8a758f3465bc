"""Issue #15 item 7, status pages: resolved incidents of the last days stay listed; the subscribe form
shows the chosen channel's fields only (CSS hooks; every field still there without it)."""
from __future__ import annotations

from datetime import timedelta

from status import service
from status.page import RECENT_DAYS
from status.service import UpdateInput
from tests.status import builders
from vault import db


def _resolved(app, clock, *, days_ago: float, title: str):
    with app.app_context():
        sess = db.session()
        comp = service.get_component_by_key(sess, "api") if hasattr(service, "get_component_by_key") else None
        comp = comp or builders.component(sess, f"api{int(days_ago * 10)}", now=clock.now - timedelta(days=30))
        at = clock.now - timedelta(days=days_ago)
        inc = builders.incident(sess, [comp], now=at - timedelta(hours=1), title=title, title_zh=title + "（中文）")
        service.post_update(sess, inc, UpdateInput(status="resolved", body_en="Fixed.", body_zh="已修复。", notify=False),
                            now=at, author="test")
        sess.commit()


def test_recently_resolved_incidents_are_listed(app, client, clock):
    html = client.get("/status/").get_data(as_text=True)
    assert "Recently resolved" in html and f"No incidents in the past {RECENT_DAYS} days." in html
    _resolved(app, clock, days_ago=1, title="Login errors")
    _resolved(app, clock, days_ago=RECENT_DAYS + 3, title="Old outage")
    html = client.get("/status/").get_data(as_text=True)
    recent = html.split("Recently resolved")[1].split("<h2>")[0]
    assert "Login errors" in recent and "Resolved" in recent and "Old outage" not in html
    zh = client.get("/status/?lang=zh").get_data(as_text=True)
    assert "最近已解决" in zh and "Login errors（中文）" in zh


def test_subscribe_form_marks_each_channels_fields(client):
    html = client.get("/status/subscribe").get_data(as_text=True)
    assert 'class="stack subscribe-form"' in html
    for cls, name in (("for-email", "email"), ("for-url", "url"), ("for-secret", "secret")):
        assert f'<div class="{cls}"><label for="{name}"' in html
    assert '<ul class="checklist" id="components">' in html or 'class="checklist"' in html
