"""Answer library errors reach a Chinese user in Chinese through the web, while str() (the CLI) stays English."""
from __future__ import annotations

import html
import re

import pytest

from answers.library import bulk, service
from tests.answers.test_library_views import ACTOR, add_entry, form_data
from vault import db
from vault.i18n import localized


def _page(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def _revision(page: str) -> str:
    return re.search(r'name="revision" type="hidden" value="(\d+)"', page).group(1)


def test_stale_edit_is_explained_in_chinese_and_stays_english_in_str(app, client_as):
    entry = add_entry(app, ref="IAM-01", answer_full="Original text.")
    c = client_as("security")
    opened_at = _revision(c.get(f"/library/{entry.uid}/edit?lang=zh").get_data(as_text=True))
    first = c.post(f"/library/{entry.uid}/edit?lang=zh",
                   data=form_data(question=entry.question, ref="IAM-01", answer_full="First edit.", revision=opened_at))
    assert first.status_code == 302
    second = c.post(f"/library/{entry.uid}/edit?lang=zh",
                    data=form_data(question=entry.question, ref="IAM-01", answer_full="Second edit.",
                                   revision=opened_at))
    page = _page(second)
    assert second.status_code == 409
    assert "您的更改未保存。" in page and "Your changes were not saved." not in page

    with app.test_request_context("/?lang=zh"):
        sess = db.session()
        current = service.get_by_ref(sess, "IAM-01")
        with pytest.raises(service.StaleEdit) as info:
            service.update_entry(sess, current, ACTOR, expected_revision=int(opened_at), answer_full="Third.")
        assert localized(info.value) == (f"条目 IAM-01 已被他人修改（当前为修订版本 {current.revision}）；"
                                         "请重新加载后再次提交您的修改")
    assert str(info.value) == (f"entry IAM-01 was changed by someone else (now revision {current.revision}); "
                               "reload it and apply your change again")


def test_duplicate_reference_id_is_explained_in_chinese(app, client_as):
    add_entry(app, ref="ENC-01", question="Is data encrypted at rest?")
    other = add_entry(app, ref="IAM-01")
    c = client_as("security")
    created = c.post("/library/new?lang=zh", data=form_data(ref="ENC-01"))
    assert created.status_code == 400
    page = _page(created)
    assert "编号为 'ENC-01' 的条目已存在" in page and "exists already" not in page

    edit_page = c.get(f"/library/{other.uid}/edit?lang=zh").get_data(as_text=True)
    renamed = c.post(f"/library/{other.uid}/edit?lang=zh",
                     data=form_data(question=other.question, ref="ENC-01", revision=_revision(edit_page)))
    assert renamed.status_code == 400 and "编号为 'ENC-01' 的条目已存在" in _page(renamed)

    with app.app_context(), pytest.raises(service.LibraryError) as info:
        service.create_entry(db.session(), ACTOR, ref="ENC-01", question="Another question?")
    assert str(info.value) == "an entry with reference id 'ENC-01' exists already"


def test_flashed_restore_and_bulk_errors_are_in_chinese(app, client_as):
    entry = add_entry(app, ref="IAM-01")
    c = client_as("security")
    c.post(f"/library/{entry.uid}/restore/99?lang=zh")
    page = _page(c.get(f"/library/{entry.uid}?lang=zh"))
    assert "条目 IAM-01 没有修订版本 99" in page and "has no revision" not in page

    c.post("/library/bulk?lang=zh", data={"action": "add_tag", "uid": entry.uid, "owner_id": "0", "tag": " "})
    page = _page(c.get("/library/?lang=zh"))
    assert "请输入要添加的标签" in page and "enter the tag to add" not in page

    with app.app_context(), pytest.raises(service.LibraryError) as info:
        bulk.apply_bulk(db.session(), [], ACTOR, "explode")
    assert str(info.value) == "unknown bulk action 'explode'"
