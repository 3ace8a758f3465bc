"""Per-host caches across two app servers never serve another host's change late. (Rebuilt when deleted:
the index cache in test_library_index.py, the font pre-cut in tests/watermark/test_fonts_cache.py.)"""
from __future__ import annotations

import pytest

from status import service as status_service
from vault import db

pytestmark = pytest.mark.postgres


def test_the_status_page_cached_on_host_b_follows_a_change_made_on_host_a(hosts):
    a, b = hosts
    with a.app_context():
        sess = db.session()
        status_service.create_component(sess, key="api", name_en="API", name_zh="", group=None,
                                        now=status_service.utcnow(), actor="test")
        sess.commit()
    public_b = b.test_client()
    assert "All systems operational" in public_b.get("/status/").get_data(as_text=True)
    public_b.get("/status/")
    assert b.extensions["status.cache"].hits >= 1  # B serves it from its own memory
    with a.app_context():
        sess = db.session()
        component = status_service.get_component(sess, status_service.list_components(sess)[0].uid)
        status_service.set_state(sess, component, "major_outage", now=status_service.utcnow(), source="staff")
        sess.commit()
    assert "Major system outage" in public_b.get("/status/").get_data(as_text=True)  # the next request

