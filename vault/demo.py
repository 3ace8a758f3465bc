"""`vault demo`: realistic demo documents, uploaded through the same services as real uploads, and the
trust center's subprocessor list.

Idempotent: a document whose English title already exists is skipped. Dates are relative to today so
the statuses stay varied (valid, expiring soon, expired, no expiry).
"""
from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from vault import audit, demo_pdfs
from vault.auth.models import User
from vault.advisories.demo import load_demo_advisories
from vault.disclosure.demo import load_demo_disclosure
from vault.documents import service, validation
from vault.engagement.demo import load_demo_engagement
from vault.overview.demo import load_demo_overview
from vault.trustreports.demo import load_demo_reports
from vault.trust import subprocessors

DEMO_OWNER = "security@example.com"
ACTOR = "vault demo"


@dataclass
class DemoVersion:
    filename: str
    make: Callable[[], bytes]
    meta: service.VersionMeta
    withdraw_reason: str = ""


@dataclass
class DemoDocument:
    fields: service.DocumentFields
    versions: list[DemoVersion] = field(default_factory=list)


def _y(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def demo_documents(today: date) -> list[DemoDocument]:
    D = service.DocumentFields
    M = service.VersionMeta
    iso_old, iso_new = today - timedelta(days=3 * 365 + 200), today - timedelta(days=200)
    soc_end = today - timedelta(days=75)
    soc_start = soc_end - timedelta(days=364)
    mlps_day = today - timedelta(days=120)
    policy_day = today - timedelta(days=90)
    return [
        DemoDocument(D("certification", "public",
                       {"en": ("ISO 27001 certificate", "Certificate of registration for our information security "
                                                        "management system, with the list of certified sites."),
                        "zh": ("ISO 27001 认证证书", "信息安全管理体系认证证书及认证场所清单。")},
                       ["iso27001"]), [
            DemoVersion("ISO27001-certificate-2022.pdf",
                        lambda: demo_pdfs.iso27001_certificate(number="IS 702114", issued=iso_old,
                                                               expires=_y(iso_old, 3)),
                        M(effective_date=iso_old, expiry_date=_y(iso_old, 3),
                          issuer="Example Certification Services B.V.")),
            DemoVersion("ISO27001-certificate-2025.pdf",
                        lambda: demo_pdfs.iso27001_certificate(number="IS 702114", issued=iso_new,
                                                               expires=_y(iso_new, 3)),
                        M(effective_date=iso_new, expiry_date=_y(iso_new, 3),
                          issuer="Example Certification Services B.V.", notes="Recertification audit passed.")),
        ]),
        DemoDocument(D("audit_report", "nda",
                       {"en": ("SOC 2 Type II report", "Independent auditor's report on security, availability "
                                                       "and confidentiality controls over twelve months."),
                        "zh": ("SOC 2 Type II 审计报告", "独立审计师对安全性、可用性和保密性控制的十二个月审计报告。")},
                       ["soc2"]), [
            DemoVersion("SOC2-Type-II-report.pdf",
                        lambda: demo_pdfs.soc2_type2_report(period_start=soc_start, period_end=soc_end,
                                                            issued=soc_end + timedelta(days=30)),
                        M(effective_date=soc_end + timedelta(days=30), expiry_date=soc_end + timedelta(days=365),
                          audit_period_start=soc_start, audit_period_end=soc_end, issuer="Example Assurance LLP",
                          notes="Bridge letters are issued on request.")),
        ]),
        DemoDocument(D("audit_report", "nda",
                       {"en": ("MLPS 2.0 level 3 assessment report", "Cybersecurity classified protection "
                                                                      "(Dengbao 2.0) level-3 assessment of the "
                                                                      "platform in mainland China."),
                        "zh": ("等级保护测评报告（第三级）", "示例云平台网络安全等级保护第三级测评报告。")},
                       ["mlps2_l3", "pipl"]), [
            DemoVersion("等级保护测评报告-第三级.pdf", lambda: demo_pdfs.mlps_level3_report(assessed=mlps_day, score=87.6),
                        M(effective_date=mlps_day, expiry_date=_y(mlps_day, 1),
                          issuer="示例网络安全测评中心", notes="Annual assessment required for level 3.")),
        ]),
        DemoDocument(D("policy", "public",
                       {"en": ("Information security policy", "Our top-level security policy."),
                        "zh": ("信息安全方针", "公司最高层级的信息安全政策。")},
                       ["iso27001", "soc2"]), [
            DemoVersion("Information-Security-Policy-v4.1.pdf",
                        lambda: demo_pdfs.information_security_policy(policy_day), M(effective_date=policy_day)),
        ]),
        DemoDocument(D("policy", "internal",
                       {"en": ("Acceptable use policy", "Rules for staff use of devices, accounts and data."),
                        "zh": ("可接受使用政策", "员工使用设备、账号与数据的规则。")},
                       ["iso27001"]), [
            DemoVersion("Acceptable-Use-Policy-v2.3.pdf", lambda: demo_pdfs.acceptable_use_policy(policy_day),
                        M(effective_date=policy_day)),
        ]),
        DemoDocument(D("dpa", "public",
                       {"en": ("Data processing agreement", "GDPR and PIPL data processing terms for customers."),
                        "zh": ("数据处理协议", "适用于客户的 GDPR 与个人信息保护法数据处理条款。")},
                       ["gdpr", "pipl"]), [
            DemoVersion("DPA-v1.0.pdf", lambda: demo_pdfs.dpa("1.0", today - timedelta(days=400)),
                        M(effective_date=today - timedelta(days=400)),
                        withdraw_reason="Annex II listed an outdated breach notification period; replaced by v1.1."),
            DemoVersion("DPA-v1.1.pdf", lambda: demo_pdfs.dpa("1.1", today - timedelta(days=380)),
                        M(effective_date=today - timedelta(days=380))),
        ]),
        DemoDocument(D("nda_template", "public",
                       {"en": ("Mutual NDA template", "Our standard mutual non-disclosure agreement."),
                        "zh": ("双向保密协议模板", "我们的标准双向保密协议。")}, []), [
            DemoVersion("Mutual-NDA-template-v3.pdf", lambda: demo_pdfs.nda_template(today - timedelta(days=500)),
                        M(effective_date=today - timedelta(days=500))),
        ]),
        DemoDocument(D("pentest_summary", "nda",
                       {"en": ("Web platform penetration test summary", "Executive summary of the yearly "
                                                                         "external penetration test."),
                        "zh": ("Web 平台渗透测试摘要", "年度外部渗透测试的执行摘要。")},
                       ["soc2", "iso27001", "pci_dss"]), [
            DemoVersion("Pentest-summary-web-platform.pdf",
                        lambda: demo_pdfs.pentest_summary(
                            target="Example Cloud console and public API", tester="Example Offensive Security",
                            tested=today - timedelta(days=345),
                            findings=[["WEB-1", "Stored XSS in project description (fixed)", "High", "Fixed, retested"],
                                      ["WEB-2", "Missing rate limit on password reset", "Medium", "Fixed, retested"],
                                      ["WEB-3", "Verbose server banner", "Low", "Accepted"]]),
                        M(effective_date=today - timedelta(days=345), expiry_date=today + timedelta(days=20),
                          issuer="Example Offensive Security", notes="Next test scheduled.")),
        ]),
        DemoDocument(D("pentest_summary", "nda",
                       {"en": ("Mobile app penetration test summary", "Executive summary of the mobile app test."),
                        "zh": ("移动应用渗透测试摘要", "移动应用渗透测试的执行摘要。")},
                       ["soc2"]), [
            DemoVersion("Pentest-summary-mobile-app.pdf",
                        lambda: demo_pdfs.pentest_summary(
                            target="Example Cloud mobile apps (iOS, Android)", tester="Example Red Team GmbH",
                            tested=today - timedelta(days=400),
                            findings=[["MOB-1", "Certificate pinning missing on Android", "Medium", "Fixed"],
                                      ["MOB-2", "Session token kept after logout", "Medium", "Fixed, retested"]]),
                        M(effective_date=today - timedelta(days=400), expiry_date=today - timedelta(days=35),
                          issuer="Example Red Team GmbH")),
        ]),
    ]


def _demo_owner(session: Session) -> User:
    user = session.scalar(select(User).where(User.email == DEMO_OWNER))
    if user is not None:
        return user
    from vault.auth.service import create_user
    # A random password nobody knows: an admin resets it to hand the account to someone.
    return create_user(session, email=DEMO_OWNER, password=secrets.token_urlsafe(24), role="security",
                       name="Security Team", actor=ACTOR)


def load_demo(session: Session, today: date | None = None) -> int:
    """Create the demo documents (and subprocessors) that do not exist yet; returns how many documents."""
    today = today or date.today()
    demo_pdfs.find_cjk_font()  # fail before creating anything if the Chinese report cannot be made
    max_bytes = current_app.config["MAX_UPLOAD_BYTES"]
    owner = _demo_owner(session)
    session.commit()
    created = 0
    with tempfile.TemporaryDirectory(prefix="vault-demo-") as tmp:
        for spec in demo_documents(today):
            if service.find_by_title(session, spec.fields.texts["en"][0]) is not None:
                continue
            _create(session, spec, owner, Path(tmp), max_bytes)
            created += 1
    load_demo_subprocessors(session, owner, today)
    load_demo_engagement(session, today, owner)  # eight weeks of trust-center visits, requests and downloads
    load_demo_overview(session, today)  # the security and privacy overview (cites the pen-test documents)
    load_demo_advisories(session, today)  # two security advisories (one published, one draft), an announcement
    load_demo_disclosure(session, today)  # two vulnerability reports (fixed with a hall-of-fame credit, triaged)
    return created


def load_demo_trust_reports(session: Session) -> None:
    """Custom trust reports on two demo grants: run after the library and status exist, whose answers and
    last 90 days the reports quote."""
    load_demo_reports(session, _demo_owner(session))


def _create(session: Session, spec: DemoDocument, owner: User, tmp: Path, max_bytes: int) -> None:
    document, versions = None, []
    for demo_version in spec.versions:
        path = tmp / "upload.pdf"
        path.write_bytes(demo_version.make())
        with validation.checked_file(path, max_bytes=max_bytes, filename=demo_version.filename) as upload:
            if document is None:
                document = service.create_document(session, spec.fields, owner=owner, first_upload=upload,
                                                   meta=demo_version.meta, max_bytes=max_bytes)
                version = document.versions[0]
                _audit(session, owner, "document.create", "document", document.uid,
                       {"title": document.title_for("en"), "type": document.type, "demo": True})
            else:
                version = service.add_version(session, document, upload, uploader=owner, meta=demo_version.meta,
                                              max_bytes=max_bytes)
        versions.append(version)
        _audit(session, owner, "version.create", "version", version.uid,
               {"document": document.uid, "number": version.number, "filename": version.filename,
                "sha256": version.sha256, "demo": True})
        if demo_version.withdraw_reason:
            service.withdraw_version(session, version, by=owner, reason=demo_version.withdraw_reason)
            _audit(session, owner, "version.withdraw", "version", version.uid,
                   {"document": document.uid, "reason": demo_version.withdraw_reason, "demo": True})
    service.commit_upload(session, *versions)


def _audit(session: Session, owner: User, action: str, object_type: str, object_id: str, detail: dict) -> None:
    audit.record(session, action, by=audit.Actor(label=ACTOR, id=owner.id), object_type=object_type,
                 object_id=object_id, detail=detail)


# --- subprocessors ------------------------------------------------------------------------------

@dataclass
class DemoSubprocessor:
    fields: subprocessors.SubprocessorFields
    removed_on: date | None = None


def demo_subprocessors(today: date) -> list[DemoSubprocessor]:
    """Four in use, one announced for next month, one removed recently (every public section has a row)."""
    F = subprocessors.SubprocessorFields
    return [
        DemoSubprocessor(F("Amazon Web Services EMEA SARL",
                           "Cloud hosting: application servers, databases, encrypted backups and file storage.",
                           "云托管：应用服务器、数据库、加密备份和文件存储。",
                           "All customer data, including uploaded documents (encrypted at rest)",
                           "Ireland (AWS eu-west-1); backups in Germany (eu-central-1)", "https://aws.amazon.com/",
                           data_categories_zh="全部客户数据，包括上传的文档（静态加密）",
                           location_zh="爱尔兰（AWS eu-west-1）；备份位于德国（eu-central-1）")),
        DemoSubprocessor(F("Postmark (ActiveCampaign, LLC)",
                           "Transactional email: sign-in links, access approvals and reminders.",
                           "事务性邮件：登录链接、访问审批通知和提醒。",
                           "Names and email addresses of recipients, email content", "United States",
                           "https://postmarkapp.com/", data_categories_zh="收件人的姓名和电子邮件地址、邮件内容",
                           location_zh="美国")),
        DemoSubprocessor(F("Sentry (Functional Software, Inc.)",
                           "Error monitoring: reports of application errors so we can fix them quickly.",
                           "错误监控：收集应用程序错误报告，以便我们迅速修复。",
                           "User IDs, IP addresses and technical details in error reports (no document contents)",
                           "Germany (Sentry EU region)", "https://sentry.io/",
                           data_categories_zh="错误报告中的用户 ID、IP 地址和技术细节（不含文档内容）",
                           location_zh="德国（Sentry 欧盟区域）")),
        DemoSubprocessor(F("Zendesk, Inc.", "Customer support desk: support tickets and conversations.",
                           "客户支持平台：处理支持工单和客户沟通。",
                           "Contact details and the content of support requests",
                           "European Union (Zendesk EU data center)", "https://www.zendesk.com/",
                           data_categories_zh="联系方式和支持请求的内容", location_zh="欧盟（Zendesk 欧盟数据中心）")),
        DemoSubprocessor(F("Cloudflare, Inc.", "Content delivery and DDoS protection in front of the web application.",
                           "Web 应用前端的内容分发和 DDoS 防护。",
                           "IP addresses and request data in transit; logs kept in the EU",
                           "Global edge network; logs in the European Union", "https://www.cloudflare.com/",
                           effective_from=today + timedelta(days=30),
                           data_categories_zh="传输中的 IP 地址和请求数据；日志保存在欧盟",
                           location_zh="全球边缘网络；日志位于欧盟")),
        DemoSubprocessor(F("Mailgun Technologies, Inc.", "Transactional email (replaced by Postmark).",
                           "事务性邮件（已由 Postmark 取代）。", "Names and email addresses of recipients, email content",
                           "United States", "https://www.mailgun.com/",
                           data_categories_zh="收件人的姓名和电子邮件地址、邮件内容", location_zh="美国"),
                         removed_on=today - timedelta(days=40)),
    ]


def load_demo_subprocessors(session: Session, owner: User, today: date) -> int:
    """Create the demo subprocessors whose name is not listed yet (removed ones count); returns how many."""
    known = {sp.name for sp in subprocessors.staff_list(session)}
    created = 0
    for spec in demo_subprocessors(today):
        if spec.fields.name in known:
            continue
        sp = subprocessors.create_subprocessor(session, spec.fields)
        _audit(session, owner, "trust.subprocessor.create", "subprocessor", sp.uid,
               {"fields": subprocessors.public_record(sp), "demo": True})
        if spec.removed_on:
            subprocessors.remove_subprocessor(session, sp, today=spec.removed_on)
            _audit(session, owner, "trust.subprocessor.remove", "subprocessor", sp.uid,
                   {"name": sp.name, "removed_on": spec.removed_on.isoformat(), "demo": True})
        created += 1
    return created  # `vault demo` commits
