"""The integrations page in a real Chromium at phone (390 px) and desktop (1366 px) widths, in English and
Chinese: nothing overflows sideways, no secret is on the page, no script runs. SCREENSHOTS=<dir> saves them."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.access.builders import trust_app
from tests.browser.conftest import LiveServer, browser, sign_in  # noqa: F401 (the browser fixture)
from tests.conftest import TEST_PASSWORD
from tests.integrations.receiver import ApiReceiver
from tests.services import free_port

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SCREENSHOTS")
TOKEN = "pat-na1-ffffffff-1111-2222-3333-444444444444"


@pytest.fixture
def live(tmp_path, smtp_sink):
    port = free_port()
    app = trust_app(tmp_path, smtp_sink, SERVER_NAME=f"127.0.0.1:{port}", PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    api = ApiReceiver().start()
    from vault import db, notify
    from vault.auth.service import create_user
    from vault.integrations import service
    from vault.storage import get_keyring
    with app.app_context():
        sess = db.session()
        create_user(sess, email="admin@vault.test", password=TEST_PASSWORD, role="admin", actor="test")
        settings = notify.Settings.from_config(app.config)
        for kind, url, secret, events, language, extra in (
                ("hubspot", api.base, TOKEN, ["access.requested", "nda.signed", "access.approved",
                                              "document.downloaded"], "en", {"template_id": "1001298"}),
                ("slack", f"{api.base}/services/T0/B0/slack-secret-path", "", ["access.requested",
                                                                               "questionnaire.matched"], "en", {}),
                ("dingtalk", f"{api.base}/robot/send?access_token=dt", "SECsign", ["access.requested"], "zh", {})):
            service.add_target(sess, get_keyring(), settings, kind=kind, label=f"{kind.title()} sales", url=url,
                               secret=secret, events=events, language=language, languages=["en", "zh"], **extra)
        sess.commit()
    with LiveServer(app, port) as server:
        yield server
    api.stop()
    app.extensions["vault.engine"].dispose()


@pytest.mark.parametrize("width", (390, 1366))
def test_integrations_page_fits_and_shows_no_secret(live, browser, width):  # noqa: F811
    for lang in ("en", "zh"):
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        errors = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        sign_in(page, live, "admin@vault.test")
        page.goto(f"{live.url}/lang/{lang}?next=/admin/integrations")
        page.goto(f"{live.url}/admin/integrations")
        html = page.content()
        assert TOKEN not in html and "slack-secret-path" not in html and "SECsign" not in html
        m = page.evaluate("() => ({doc: document.documentElement.scrollWidth, inner: window.innerWidth,"
                          " scripts: document.scripts.length})")
        assert m["doc"] <= m["inner"], (lang, width, m)
        assert m["scripts"] == 0 and errors == [], (m, errors)
        assert page.locator("h1").inner_text() == ("Integrations" if lang == "en" else "集成")
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / f"integrations-{lang}-{width}.png"), full_page=True)
        page.locator("a", has_text="Edit" if lang == "en" else "编辑").first.click()
        assert TOKEN not in page.content() and page.locator("input[name=template_id]").input_value() == "1001298"
        m = page.evaluate("() => ({doc: document.documentElement.scrollWidth, inner: window.innerWidth})")
        assert m["doc"] <= m["inner"], (lang, width, m)
        if SHOTS:
            page.screenshot(path=str(Path(SHOTS) / f"integration-edit-{lang}-{width}.png"), full_page=True)
        context.close()
