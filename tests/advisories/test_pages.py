"""Public advisory pages (en/zh, drafts hidden), the Atom feed and the CSAF 2.0 JSON."""
from __future__ import annotations

import json
from importlib.resources import files

import jsonschema
import pytest
from defusedxml import ElementTree as SafeET

from tests.advisories.conftest import STAFF
from vault import db
from vault.advisories import service

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def published(make_advisory):
    return make_advisory(publish=True)


def test_list_and_detail_in_english_and_chinese(client, published, make_advisory):
    draft = make_advisory(title_en="Unreleased draft finding", title_zh="")
    page = client.get("/trust/advisories", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert published in page and "Stored XSS in document titles" in page and "Critical 9.1" in page
    assert "CVE-2026-12345" in page and "Unreleased draft finding" not in page and draft not in page
    zh = client.get("/trust/advisories?lang=zh").get_data(as_text=True)
    assert "安全公告" in zh and "文档标题中的存储型 XSS" in zh and "严重" in zh
    detail = client.get(f"/trust/advisories/{published}").get_data(as_text=True)
    assert "<strong>title</strong>" in detail  # Markdown rendered
    assert "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N" in detail and "TrustVault Server: 4.2.1" in detail
    assert "精心构造的" in client.get(f"/trust/advisories/{published}?lang=zh").get_data(as_text=True)


def test_chinese_falls_back_to_english_when_blank(client, make_advisory):
    advisory_id = make_advisory(publish=True, title_zh="", body_zh="")
    zh = client.get(f"/trust/advisories/{advisory_id}?lang=zh").get_data(as_text=True)
    assert "Stored XSS in document titles" in zh and "run script" in zh


def test_drafts_and_unknown_ids_are_404_everywhere(client, make_advisory):
    draft = make_advisory()
    for path in (f"/trust/advisories/{draft}", f"/trust/advisories/{draft}.json", "/trust/advisories/TV-1999-999",
                 "/trust/advisories/announcements/nope"):
        assert client.get(path).status_code == 404, path


def test_markdown_body_is_sanitised(client, make_advisory):
    advisory_id = make_advisory(publish=True, body_en='<img src=x onerror=alert(1)> [x](javascript:alert(1))')
    html = client.get(f"/trust/advisories/{advisory_id}").get_data(as_text=True)
    assert "<img src=x" not in html and 'href="javascript' not in html and "onerror=alert" not in html.replace(
        "&lt;img src=x onerror=alert(1)&gt;", "")


def test_trust_center_links_to_the_advisories(client):
    html = client.get("/trust/").get_data(as_text=True)
    assert 'href="/trust/advisories"' in html


def test_atom_feed_has_advisories_and_announcements(app, client, published, make_advisory):
    make_advisory()  # a draft stays out
    with app.app_context():
        sess = db.session()
        note = service.create_announcement(sess, actor=STAFF, title_en="New PGP key for security@",
                                           body_en="Our key changed.", title_zh="security@ 的新 PGP 密钥")
        sess.commit()
        note_uid = note.uid
    resp = client.get("/trust/advisories.atom")
    assert resp.status_code == 200 and resp.mimetype == "application/atom+xml"
    feed = SafeET.fromstring(resp.data)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert f"tag:vault.test,2026:advisory:{published}" in ids and f"tag:vault.test,2026:announcement:{note_uid}" in ids
    for entry in entries:
        assert entry.findtext(f"{ATOM}title") and entry.findtext(f"{ATOM}updated").endswith("Z")
        assert entry.find(f"{ATOM}link").get("href").startswith("http://vault.test/trust/advisories/")
    advisory_entry = entries[ids.index(f"tag:vault.test,2026:advisory:{published}")]
    assert [c.get("term") for c in advisory_entry.findall(f"{ATOM}category")] == ["CVE-2026-12345"]
    zh = SafeET.fromstring(client.get("/trust/advisories.atom?lang=zh").data)
    assert "security@ 的新 PGP 密钥" in [e.findtext(f"{ATOM}title") for e in zh.findall(f"{ATOM}entry")]


def _csaf_schema() -> dict:
    path = files("csaf").joinpath("csaf/v20/schema/csaf.json")
    schema = json.loads(path.read_text(encoding="utf-8"))
    cvss = {name: json.loads(files("csaf").joinpath(f"csaf/v20/schema/referenced/{name}").read_text(encoding="utf-8"))
            for name in ("cvss-v2.0.json", "cvss-v3.0.json", "cvss-v3.1.json")}
    return schema, cvss


def _validate(doc: dict) -> None:
    from referencing import Registry, Resource
    schema, cvss = _csaf_schema()
    # the CVSS schemas the CSAF schema refers to by their first.org address, from the same package (offline)
    registry = Registry().with_resources((f"https://www.first.org/cvss/{name}", Resource.from_contents(s))
                                         for name, s in cvss.items())
    jsonschema.Draft202012Validator(schema, registry=registry,
                                    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).validate(doc)


def test_csaf_json_validates_against_the_oasis_schema(client, published):
    resp = client.get(f"/trust/advisories/{published}.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    doc = resp.get_json()
    _validate(doc)
    d = doc["document"]
    assert (d["category"], d["csaf_version"]) == ("csaf_security_advisory", "2.0")
    assert d["publisher"]["name"] == "Example Cloud Ltd." and d["publisher"]["category"] == "vendor"
    t = d["tracking"]
    assert (t["id"], t["status"], t["version"]) == (published, "final", "1")
    assert t["initial_release_date"] and t["current_release_date"] and t["revision_history"][0]["number"] == "1"
    [vuln] = doc["vulnerabilities"]
    assert vuln["cve"] == "CVE-2026-12345"
    cvss = vuln["scores"][0]["cvss_v3"]
    assert (cvss["version"], cvss["baseScore"], cvss["baseSeverity"]) == ("3.1", 9.1, "CRITICAL")
    assert vuln["product_status"] == {"known_affected": ["CSAFPID-A1"], "fixed": ["CSAFPID-F1"]}
    assert vuln["remediations"][0]["category"] == "vendor_fix"
    names = json.dumps(doc["product_tree"])
    assert "TrustVault Server" in names and "4.2.1" in names


def test_csaf_of_a_revised_advisory_with_two_cves_and_no_fix_yet(app, client, make_advisory):
    advisory_id = make_advisory(publish=True, cve_ids="CVE-2026-1111, CVE-2026-2222", fixed_in="")
    with app.app_context():
        sess = db.session()
        advisory = service.get_advisory(sess, advisory_id)
        service.update_advisory(sess, advisory, service.AdvisoryFields(
            title_en=advisory.title_en, body_en="More detail.", cvss_vector=advisory.cvss_vector,
            cve_ids=advisory.cve_ids, affected="TrustVault Server: < 4.2.1", change_summary="More detail"),
            actor=STAFF, now=advisory.updated_at)
        sess.commit()
    doc = client.get(f"/trust/advisories/{advisory_id}.json").get_json()
    _validate(doc)
    assert [v["cve"] for v in doc["vulnerabilities"]] == ["CVE-2026-1111", "CVE-2026-2222"]
    assert doc["document"]["tracking"]["version"] == "2"
    assert len(doc["document"]["tracking"]["revision_history"]) == 2
