"""Advisory rules: CVSS v3.1 parsing and scores, CVE ids, products, id assignment, publishing."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from tests.advisories.conftest import STAFF, VECTOR
from vault import db
from vault.advisories import service
from vault.advisories.models import Advisory
from vault.advisories.service import AdvisoryInput
from vault.audit import AuditEvent


@pytest.mark.parametrize("vector, score, severity", [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "critical"),  # e.g. Log4Shell-class RCE
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "critical"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "medium"),  # the classic reflected XSS
    ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "high"),
    ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, "low"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, "none"),
])
def test_cvss_base_score_and_rating(vector, score, severity):
    cvss = service.parse_cvss(vector)
    assert (cvss.score, cvss.severity) == (score, severity)


def test_cvss_vector_is_normalised_to_the_spec_order():
    assert service.parse_cvss("CVSS:3.1/S:U/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H").vector == \
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


@pytest.mark.parametrize("vector, code", [
    ("", "cvss_version"),
    ("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "cvss_version"),
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "cvss_version"),
    ("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "cvss_invalid"),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "cvss_invalid"),  # A missing
    ("CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "cvss_invalid"),  # repeated
])
def test_bad_cvss_vectors_are_refused_on_the_field(vector, code):
    with pytest.raises(AdvisoryInput) as err:
        service.parse_cvss(vector)
    assert (err.value.code, err.value.field) == (code, "cvss_vector")


def test_cve_ids_are_checked_and_normalised():
    assert service.check_cve_ids("cve-2026-1234, CVE-2025-123456\nCVE-2026-1234") == ["CVE-2026-1234",
                                                                                     "CVE-2025-123456"]
    for bad in ("CVE-2026-123", "CVE-26-1234", "CVE-1998-1234", "2026-1234", "CVE-2026-12a4", "GHSA-xxxx"):
        with pytest.raises(AdvisoryInput) as err:
            service.check_cve_ids(bad)
        assert err.value.field == "cve_ids"


def test_product_lines_need_a_product_and_versions():
    assert service.parse_products("TrustVault Server: < 4.2.1\n\nAgent: 1.0 - 1.3", field="affected",
                                  label="Affected") == [("TrustVault Server", "< 4.2.1"), ("Agent", "1.0 - 1.3")]
    with pytest.raises(AdvisoryInput) as err:
        service.parse_products("TrustVault Server 4.2", field="affected", label="Affected")
    assert err.value.field == "affected"


def test_ids_are_assigned_per_year_in_sequence(app):
    with app.app_context():
        sess = db.session()
        jan = datetime(2026, 1, 5, tzinfo=timezone.utc)
        ids = [service.create_advisory(sess, actor=STAFF, title_en=f"Issue {n}", now=jan).advisory_id for n in range(3)]
        next_year = service.create_advisory(sess, actor=STAFF, title_en="Later", now=datetime(2027, 2, 1, tzinfo=timezone.utc))
        sess.commit()
        assert ids == ["TV-2026-001", "TV-2026-002", "TV-2026-003"]
        assert next_year.advisory_id == "TV-2027-001"
        assert sess.scalar(select(AuditEvent).where(AuditEvent.action == "advisory.create",
                                                    AuditEvent.object_id == "TV-2026-002")).actor == STAFF.label


def test_create_and_publish_through_the_interface(app):
    """What vulnerability disclosure calls: pairs, a timeline and publish=True in one call."""
    with app.app_context():
        sess = db.session()
        advisory = service.create_advisory(
            sess, actor=STAFF, title_en="SSRF in webhook test", body_en="Fixed.", cvss_vector=VECTOR,
            cve_ids=["CVE-2026-5555"], affected=[("TrustVault Server", "4.0 - 4.1.9")],
            fixed_in=[("TrustVault Server", "4.2.0")], timeline=[(date(2026, 3, 1), "Reported", "收到报告")],
            publish=True)
        sess.commit()
        assert advisory.published and advisory.published_at is not None
        assert (advisory.cvss_score, advisory.severity) == (9.1, "critical")
        assert advisory.revisions[0]["number"] == "1"
        assert [e.text_for("zh") for e in advisory.timeline] == ["收到报告"]


def test_publishing_needs_the_essentials_and_happens_once(app):
    with app.app_context():
        sess = db.session()
        draft = service.create_advisory(sess, actor=STAFF, title_en="Half written")
        with pytest.raises(AdvisoryInput) as err:
            service.publish_advisory(sess, draft, actor=STAFF, now=draft.created_at)
        assert err.value.field == "body_en"
        full = service.create_advisory(sess, actor=STAFF, title_en="Done", body_en="x", cvss_vector=VECTOR,
                                       affected="App: 1.0")
        service.publish_advisory(sess, full, actor=STAFF, now=full.created_at)
        with pytest.raises(AdvisoryInput):
            service.publish_advisory(sess, full, actor=STAFF, now=full.created_at)


def test_editing_a_published_advisory_adds_a_revision_with_its_summary(app, make_advisory):
    advisory_id = make_advisory(publish=True)
    with app.app_context():
        sess = db.session()
        advisory = service.get_advisory(sess, advisory_id)
        fields = service.AdvisoryFields(title_en=advisory.title_en, title_zh=advisory.title_zh, body_en="Updated.",
                                        body_zh=advisory.body_zh, cvss_vector=advisory.cvss_vector,
                                        cve_ids=advisory.cve_ids, affected="TrustVault Server: < 4.2.1",
                                        fixed_in="TrustVault Server: 4.2.1")
        with pytest.raises(AdvisoryInput) as err:
            service.update_advisory(sess, advisory, fields, actor=STAFF, now=advisory.updated_at)
        assert err.value.field == "change_summary"
        fields.change_summary = "Clarified the description"
        service.update_advisory(sess, advisory, fields, actor=STAFF, now=advisory.updated_at)
        sess.commit()
        assert [r["number"] for r in advisory.revisions] == ["1", "2"]


def test_a_title_is_required_and_text_is_cleaned(app):
    with app.app_context():
        sess = db.session()
        with pytest.raises(AdvisoryInput) as err:
            service.create_advisory(sess, actor=STAFF, title_en=" ", title_zh="")
        assert err.value.field == "title_en"
        with pytest.raises(AdvisoryInput) as err:
            service.create_advisory(sess, actor=STAFF, title_en="bad\x00title")
        assert err.value.field == "title_en"
        assert sess.scalars(select(Advisory)).all() == []
