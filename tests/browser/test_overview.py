"""The security and privacy overview in a real Chromium, at phone (390 px) and desktop (1366 px) widths, in
English and Chinese: no sideways scrolling, the facts and evidence readable, the renewing mark shown, and
the front page's block leading to it. SCREENSHOTS=<dir> saves every page looked at."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.access.builders import seed, trust_app
from tests.browser.conftest import LiveServer
from tests.overview.builders import add_item, set_facts, set_settings
from tests.services import free_port

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SCREENSHOTS")


@pytest.fixture
def live(tmp_path, smtp_sink):
    port = free_port()
    app = trust_app(tmp_path, smtp_sink, SERVER_NAME=f"127.0.0.1:{port}")
    seeded = seed(app, tmp_path)
    set_settings(app, "Example Cloud keeps customer data in the region the customer chose, encrypted at rest and in "
                      "transit.", "Example Cloud 将客户数据保存在客户所选的区域，并在存储和传输中加密。",
                 "security@example.com")
    set_facts(app, "backups", {"rto_amount": "4", "rto_unit": "hours", "rpo_amount": "15", "rpo_unit": "minutes"})
    set_facts(app, "pentest", {"cadence": "annual"})
    set_facts(app, "privacy", {"gdpr_role": "processor", "pipl_role": "entrusted_party",
                               "dpo_contact": "data-protection-officer@example-cloud-holdings.example",
                               "transfer_basis": ["gdpr_sccs", "pipl_standard_contract"]})
    add_item(app, "residency", "eu-central (Frankfurt, Germany)", "eu-central（德国法兰克福）",
             "Accounts, documents and audit logs of EU customers.", "欧盟客户的账户、文档和审计日志。")
    add_item(app, "residency", "cn-north (Beijing, China)", "cn-north（中国北京）",
             "All personal information of customers in mainland China (PIPL).", "中国大陆客户的全部个人信息。")
    add_item(app, "encryption", "At rest: AES-256", "静态加密：AES-256", "AES-256-GCM, a data key per document.",
             "AES-256-GCM，每个文档一个数据密钥。", evidence=seeded.whitepaper)
    add_item(app, "pentest", "Annual external penetration test", "年度外部渗透测试",
             "An independent firm tests the console and API every year.", "独立机构每年测试控制台和 API。",
             evidence=seeded.pentest)
    add_item(app, "pentest", "PCI DSS scan", "PCI DSS 扫描", "Quarterly external scans.", "每季度外部扫描。",
             evidence=seeded.expired_cert)
    with LiveServer(app, port) as server:
        yield server, seeded
    app.extensions["vault.engine"].dispose()


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _no_overflow(page, where: str) -> None:
    m = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert m[0] <= m[1], (where, m)


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_overview_page_reads_well(browser, live, width, lang):
    server, seeded = live
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN" if lang == "zh" else "en")
    page = context.new_page()
    page.goto(f"{server.url}/trust/?lang={lang}")
    block = page.locator(".overview-summary")
    assert block.is_visible()
    assert ("RTO 4 小时" if lang == "zh" else "RTO 4 hours") in block.inner_text()
    _no_overflow(page, f"front {lang} {width}")
    _shot(page, f"overview-front-{lang}-{width}")
    block.get_by_role("link").click()
    page.wait_for_url("**/trust/overview")
    heading = "安全与隐私概览" if lang == "zh" else "Security and privacy overview"
    assert page.get_by_role("heading", level=1, name=heading).is_visible()
    _no_overflow(page, f"overview {lang} {width}")
    pentest = page.locator("#pentest")
    assert ("证据正在更新" if lang == "zh" else "Evidence being renewed") in pentest.inner_text()
    request_link = pentest.get_by_role("link", name="Request access" if lang == "en" else "申请访问")
    box = request_link.bounding_box()
    assert box and box["x"] + box["width"] <= width  # on screen, not cut off
    _shot(page, f"overview-{lang}-{width}")
    request_link.click()
    page.wait_for_url(f"**/trust/request?document={seeded.pentest}")
    context.close()
