"""Overview rules: facts (RTO/RPO and friends), lengths, evidence choices, stale evidence on a frozen day,
and the named interface's plain data in both languages."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.overview.builders import add_item, set_facts
from vault import db
from vault.inputs import InvalidInput
from vault.overview import public, service

RTO = service.FACTS["backups"][0]
RPO = service.FACTS["backups"][1]


@pytest.mark.parametrize("spec, amount, unit, expected", [
    (RTO, "4", "hours", {"amount": 4, "unit": "hours"}),
    (RPO, "15", "minutes", {"amount": 15, "unit": "minutes"}),
    (RPO, "0", "minutes", {"amount": 0, "unit": "minutes"}),  # synchronous replication: no data lost
    (RTO, " 90 ", "days", {"amount": 90, "unit": "days"}),
    (RTO, "", "", None),
    (RTO, None, None, None),
])
def test_durations_accepted(spec, amount, unit, expected):
    assert service.check_duration(spec, amount, unit) == expected


@pytest.mark.parametrize("spec, amount, unit, code, field", [
    (RTO, "four", "hours", "duration_number", "rto_amount"),
    (RTO, "4.5", "hours", "duration_number", "rto_amount"),
    (RTO, "0", "hours", "duration_range", "rto_amount"),  # nothing recovers in no time
    (RPO, "-1", "minutes", "duration_range", "rpo_amount"),
    (RTO, "10001", "minutes", "duration_range", "rto_amount"),
    (RTO, "4", "", "duration_unit", "rto_unit"),
    (RTO, "4", "weeks", "duration_unit", "rto_unit"),
    (RPO, "", "hours", "duration_number", "rpo_amount"),
    (RTO, "91", "days", "duration_too_long", "rto_amount"),
    (RTO, "2200", "hours", "duration_too_long", "rto_amount"),
])
def test_durations_refused_with_the_field(spec, amount, unit, code, field):
    with pytest.raises(InvalidInput) as err:
        service.check_duration(spec, amount, unit)
    assert (err.value.code, err.value.field) == (code, field)
    assert str(spec.label) in str(err.value)


def test_other_facts_are_checked():
    assert service.check_facts("pentest", {"cadence": "annual"}) == {"cadence": "annual"}
    assert service.check_facts("pentest", {"cadence": ""}) == {}
    for raw, field in (({"cadence": "weekly"}, "cadence"),):
        with pytest.raises(InvalidInput) as err:
            service.check_facts("pentest", raw)
        assert err.value.field == field
    ok = service.check_facts("privacy", {"gdpr_role": "processor", "dpo_contact": " DPO@Example.com ",
                                         "transfer_basis": ["pipl_standard_contract", "gdpr_sccs"]})
    assert ok == {"gdpr_role": "processor", "dpo_contact": "dpo@example.com",
                  "transfer_basis": ["gdpr_sccs", "pipl_standard_contract"]}  # in the listed order
    for raw, code in (({"dpo_contact": "not an address"}, "email"), ({"pipl_role": "owner"}, "choice"),
                      ({"transfer_basis": ["no_transfer", "gdpr_sccs"]}, "transfer_conflict"),
                      ({"transfer_basis": ["fax"]}, "choice")):
        with pytest.raises(InvalidInput) as err:
            service.check_facts("privacy", raw)
        assert err.value.code == code and err.value.field == next(iter(raw))


def test_lengths_titles_and_contact(app, seeded):
    with app.app_context():
        sess = db.session()
        section = service.get_section(sess, "encryption")
        cases = [
            (service.ItemFields(), "title_missing", "title_en"),
            (service.ItemFields(title_en="x" * 201), "too_long", "title_en"),
            (service.ItemFields(title_zh="加" * 201), "too_long", "title_zh"),
            (service.ItemFields(title_en="A", text_en="x" * 4001), "too_long", "text_en"),
            (service.ItemFields(title_en="A", text_zh="字" * 4001), "too_long", "text_zh"),
            (service.ItemFields(title_en="A\nB"), "control", "title_en"),
            (service.ItemFields(title_en="AES\u202e"), "invisible", "title_en"),
            (service.ItemFields(title_en="A", evidence="nope"), "evidence_unknown", "evidence"),
            (service.ItemFields(title_en="A", evidence=seeded.internal), "evidence_unpublished", "evidence"),
            (service.ItemFields(title_en="A", evidence=seeded.nda_doc), "evidence_unpublished", "evidence"),
        ]
        for fields, code, field in cases:
            with pytest.raises(InvalidInput) as err:
                service.create_item(sess, section, fields)
            assert (err.value.code, err.value.field) == (code, field), fields
        assert service.create_item(sess, section, service.ItemFields(title_en="x" * 200, text_zh="字" * 4000))
        with pytest.raises(InvalidInput) as err:
            service.update_section(sess, section, title_en="t" * 201, title_zh="", facts={})
        assert err.value.field == "title_en"
        for bad in ("security", "http://example.com/security", "https://", "https://a b", "javascript:alert(1)",
                    "a@b"):
            with pytest.raises(InvalidInput) as err:
                service.check_contact(bad)
            assert err.value.field == "security_contact", bad
        assert service.check_contact(" Security@Example.com ") == "security@example.com"
        assert service.check_contact("https://example.com/.well-known/security.txt").startswith("https://")
        with pytest.raises(InvalidInput):
            service.update_settings(sess, summary_en="s" * 2001, summary_zh="", security_contact="")


def test_stale_when_the_evidence_expires_on_a_frozen_day(app, tmp_path):
    """The expiry date is the last valid day: stale from the day after (documents.status.expired_since)."""
    from tests.documents.builders import SMALL_PDF, add_document, add_version, new_user
    from vault.documents.service import VersionMeta, withdraw_version

    last_day = date(2026, 6, 30)
    with app.app_context():
        sess = db.session()
        owner = new_user(sess, "security")
        doc = add_document(app, sess, owner, SMALL_PDF, title="Pen test 2025", doc_type="pentest_summary",
                           visibility="public", frameworks=(), meta=VersionMeta(expiry_date=last_day))
        uid, owner_id = doc.uid, owner.id
    item_uid = add_item(app, "pentest", "Annual pen test", "年度渗透测试", evidence=uid)
    with app.app_context():
        from vault.auth.models import User
        sess = db.session()
        owner = sess.get(User, owner_id)
        rows = {d: [i for s in service.staff_overview(sess, d) for i in s.items if i.item.uid == item_uid][0]
                for d in (last_day, last_day + timedelta(days=1))}
        assert rows[last_day].problem is None
        problem = rows[last_day + timedelta(days=1)].problem
        assert (problem.reason, problem.since, problem.last_valid_day) == ("expired", date(2026, 7, 1), last_day)
        assert service.stale_count(sess, last_day + timedelta(days=1)) == 1

        valid = public.sections_for(sess, "en", last_day)[0].items[0]
        assert valid.evidence == public.Evidence(uid, "Pen test 2025", "public") and not valid.evidence_renewing
        stale = public.sections_for(sess, "en", last_day + timedelta(days=1))[0].items[0]
        assert stale.evidence is None and stale.evidence_renewing  # never offered as current evidence

        # a renewal clears it; withdrawing the renewal (nothing current) makes it stale again
        document = service.documents.get_document(sess, uid)
        renewal = add_version(app, sess, document, owner, SMALL_PDF,
                              meta=VersionMeta(expiry_date=last_day + timedelta(days=365)))
        assert service.evidence_problem(document, last_day + timedelta(days=1)) is None
        withdraw_version(sess, renewal, by=owner, reason="wrong file")
        for version in document.versions:
            if not version.withdrawn:
                withdraw_version(sess, version, by=owner, reason="superseded")
        sess.commit()
        assert service.evidence_problem(document, last_day).reason == "withdrawn"


def test_sections_for_is_plain_data_in_the_readers_language_with_fallback(app, seeded):
    set_facts(app, "backups", {"rto_amount": "4", "rto_unit": "hours", "rpo_amount": "15", "rpo_unit": "minutes"},
              title_en="Backups & DR")
    add_item(app, "residency", "eu-central (Frankfurt)", "eu-central（法兰克福）", "Customer data of EU customers.",
             "欧盟客户的数据。")
    add_item(app, "residency", "cn-north (Beijing)", "", "Personal information under PIPL.", "")  # English only
    add_item(app, "encryption", "", "传输加密：TLS 1.2+", "", "所有连接。")  # Chinese only
    with app.app_context():
        sess = db.session()
        en = public.sections_for(sess, "en", date.today())
        zh = public.sections_for(sess, "zh", date.today())
    assert [s.key for s in en] == ["residency", "encryption", "backups"]  # empty sections left out
    assert [s.title for s in en] == ["Data residency", "Encryption", "Backups & DR"]
    assert [s.title for s in zh] == ["数据驻留", "加密", "备份与灾难恢复"]  # a blank zh override: the default, translated
    assert [i.title for i in zh[0].items] == ["eu-central（法兰克福）", "cn-north (Beijing)"]
    assert en[1].items[0].title == "传输加密：TLS 1.2+" and en[1].items[0].text == "所有连接。"
    assert [(f.key, f.text, f.value) for f in en[2].facts] == [
        ("rto", "4 hours", {"amount": 4, "unit": "hours"}), ("rpo", "15 minutes", {"amount": 15, "unit": "minutes"})]
    assert [f.text for f in zh[2].facts] == ["4 小时", "15 分钟"]
    assert [f.label for f in zh[2].facts] == ["恢复时间目标（RTO）", "恢复点目标（RPO）"]


def test_several_options_are_one_line_for_reports_and_one_per_line_for_pages(app, seeded):
    set_facts(app, "privacy", {"transfer_basis": ["gdpr_sccs", "pipl_standard_contract"]})
    with app.app_context():
        en = public.sections_for(db.session(), "en", date.today())[0].facts[0]
        zh = public.sections_for(db.session(), "zh", date.today())[0].facts[0]
    assert en.text == "GDPR: standard contractual clauses; PIPL: standard contract filed with the regulator"
    assert en.lines == ("GDPR: standard contractual clauses", "PIPL: standard contract filed with the regulator")
    assert zh.text == "GDPR：标准合同条款；个人信息保护法：已向监管机构备案的标准合同"
    assert en.value == ["gdpr_sccs", "pipl_standard_contract"]


def test_reorder_sections_and_items(app, seeded):
    a = add_item(app, "sdlc", "A")
    b = add_item(app, "sdlc", "B")
    with app.app_context():
        sess = db.session()
        section = service.get_section(sess, "sdlc")
        assert service.move_section(sess, section, -1)
        assert [s.key for s in service.sections(sess)][:7] == ["residency", "encryption", "access_control",
                                                               "backups", "sdlc", "pentest", "privacy"]
        assert not service.move_section(sess, service.get_section(sess, "residency"), -1)
        assert service.move_item(sess, service.get_item(sess, b), -1)
        assert [i.uid for i in sorted(section.items, key=lambda i: i.position)] == [b, a]
        assert not service.move_item(sess, service.get_item(sess, a), 1)
