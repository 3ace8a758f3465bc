"""A failed page export (issue #14) is a 422 page with the one-line reason and a way back to the
review; nothing is recorded as sent and no file is sent."""
from __future__ import annotations

from answers.questionnaires import export
from exporters import XlsxExportError
from tests.questionnaires.builders import (
    JSON,
    add_library,
    events,
    items,
    upload_and_match,
    workbook,
)


def _boom(*_args, **_kwargs):
    raise XlsxExportError("damaged package: part 'xl/worksheets/sheet1.xml' cannot be read (Bad CRC-32)")


def _accepted(app, client_as):
    add_library(app)
    c = client_as("sales")
    uid = upload_and_match(c, workbook())
    mfa = items(app, uid)[0]
    assert c.post(f"/questionnaires/{uid}/items/{mfa.uid}", data={"action": "accept", "revision": mfa.revision},
                  headers=JSON).status_code == 200
    return c, uid


def test_export_failure_is_a_422_page_with_the_reason_and_a_way_back(app, client_as, monkeypatch):
    c, uid = _accepted(app, client_as)
    monkeypatch.setattr(export, "fill_questionnaire", _boom)
    resp = c.post(f"/questionnaires/{uid}/export")
    assert resp.status_code == 422 and resp.mimetype == "text/html"
    assert "Content-Disposition" not in resp.headers
    page = resp.get_data(as_text=True)
    assert "the file could not be filled: damaged package: part &#39;xl/worksheets/sheet1.xml&#39;" in page
    assert f'href="/questionnaires/{uid}"' in page and "Back to the review" in page
    assert not events(app, "questionnaire.export")


def test_export_failure_page_in_chinese(app, client_as, monkeypatch):
    c, uid = _accepted(app, client_as)
    monkeypatch.setattr(export, "fill_questionnaire", _boom)
    resp = c.post(f"/questionnaires/{uid}/export?lang=zh")
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "返回审阅" in page and "无法填写文件" in page
