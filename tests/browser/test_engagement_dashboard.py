"""The engagement dashboard in a real Chromium, with the demo's eight weeks of visits: at phone (390 px)
and desktop (1366 px) widths, in English and Chinese, nothing overflows sideways, the three SVG charts are
drawn inside the page, and no script runs. SCREENSHOTS=<dir> saves every page looked at."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.access.builders import seed, trust_app
from tests.browser.conftest import LiveServer, sign_in
from tests.conftest import TEST_PASSWORD
from tests.services import free_port

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS")


@pytest.fixture
def live(tmp_path, smtp_sink):
    port = free_port()
    app = trust_app(tmp_path, smtp_sink, SERVER_NAME=f"127.0.0.1:{port}")
    seed(app, tmp_path)
    from vault import db
    from vault.auth.service import create_user
    from vault.db import utcnow
    from vault.engagement.demo import load_demo_engagement
    with app.app_context():
        sess = db.session()
        create_user(sess, email="sales@vault.test", password=TEST_PASSWORD, role="sales", actor="test")
        assert load_demo_engagement(sess, utcnow().date()) > 0
        sess.commit()
    with LiveServer(app, port) as server:
        yield server
    app.extensions["vault.engine"].dispose()


@pytest.mark.parametrize("width", (390, 1366))
def test_dashboard_fits_the_screen_in_both_languages(live, browser, width):
    for lang in ("en", "zh"):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        errors = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        sign_in(page, live, "sales@vault.test")
        page.goto(f"{live.url}/lang/{lang}?next=/admin/engagement/")
        page.goto(f"{live.url}/admin/engagement/?period=90")
        m = page.evaluate("""() => ({doc: document.documentElement.scrollWidth, inner: window.innerWidth,
            charts: [...document.querySelectorAll('svg.chart')].map(s => s.getBoundingClientRect().right),
            scripts: document.scripts.length})""")
        assert m["doc"] <= m["inner"], (lang, width, m)
        assert len(m["charts"]) == 3 and all(right <= m["inner"] for right in m["charts"]), m
        assert m["scripts"] == 0 and errors == [], (m, errors)  # nothing blocked by the CSP either
        assert page.locator("table a", has_text="Northwind Traders").first.is_visible()
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / f"engagement-{lang}-{width}.png"), full_page=True)
        context.close()
