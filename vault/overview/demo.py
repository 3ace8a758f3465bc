"""`vault demo`: a realistic security and privacy overview for Example Cloud Ltd., in English and Chinese.

Idempotent: nothing is added once the overview has an item. The annual pen test cites the demo's web
platform pen-test summary; the mobile app test cites the expired mobile summary, so the staff page shows a
stale item and the public page shows "evidence being renewed". The trust profile gets the company name and
a summary when both are blank (the front page otherwise falls back to the instance's name and a default).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from vault import audit
from vault.documents import service as documents
from vault.overview import service
from vault.trust import service as trust

ACTOR = audit.Actor(label="vault demo")

# The front page's intro says what the page is for; the overview's summary (below it) says how we run.
PROFILE_EN = ("Example Cloud Ltd. hosts document collaboration for regulated companies in Europe and China. Here "
              "you find our certifications and audit reports, how we protect your data, our subprocessors and "
              "live service status; reports under NDA are one request away.")
PROFILE_ZH = ("Example Cloud Ltd. 为欧洲和中国受监管企业提供文档协作云服务。您可以在此查看我们的认证与审计报告、"
              "数据保护方式、子处理者以及实时服务状态；受保密协议保护的报告提交申请即可获取。")
SUMMARY_EN = ("Example Cloud runs in two isolated regions: customers in Europe are served from eu-central and "
              "customers in mainland China from cn-north, and customer data stays in the region the customer "
              "chose. Data is encrypted at rest and in transit, backups are tested every quarter, and independent "
              "testers attack the platform every year.")
SUMMARY_ZH = ("Example Cloud 在两个相互隔离的区域运行：欧洲客户由 eu-central 提供服务，中国大陆客户由 cn-north 提供服务，"
              "客户数据保存在客户所选的区域内。数据在存储和传输中均经过加密，备份每季度进行恢复演练，"
              "平台每年接受独立的渗透测试。")

# section key -> facts (as the staff form sends them) and items (en title, zh title, en text, zh text, evidence)
DEMO = {
    "residency": ({}, [
        ("eu-central (Frankfurt, Germany)", "eu-central（德国法兰克福）",
         "Customer accounts, uploaded documents, questionnaires and audit logs of customers who chose the EU region; "
         "encrypted backups in a second EU availability zone.",
         "选择欧盟区域的客户的账户、上传的文档、问卷和审计日志；加密备份保存在欧盟的另一个可用区。", ""),
        ("cn-north (Beijing, China)", "cn-north（中国北京）",
         "All personal information of customers in mainland China, stored and processed under PIPL; it does not "
         "leave mainland China. Operated by our Chinese subsidiary on a licensed local cloud provider.",
         "中国大陆客户的全部个人信息，依照《个人信息保护法》在境内存储和处理，不出境；由我们的中国子公司在持牌的本地云服务商上运营。",
         ""),
    ]),
    "encryption": ({}, [
        ("At rest: AES-256", "静态加密：AES-256",
         "Databases, file storage and backups are encrypted with AES-256-GCM; each document is encrypted with its "
         "own data key.", "数据库、文件存储和备份均使用 AES-256-GCM 加密；每个文档使用独立的数据密钥。", ""),
        ("In transit: TLS 1.2 or later", "传输加密：TLS 1.2 及以上",
         "Every connection uses TLS 1.2 or 1.3 with forward secrecy; HSTS is enabled; older protocols are refused.",
         "所有连接均使用支持前向保密的 TLS 1.2 或 1.3，启用 HSTS，拒绝旧版协议。", ""),
        ("Key management", "密钥管理",
         "Master keys live in a cloud KMS (HSM-backed) per region, are rotated every year, and cannot be "
         "exported; access to them is logged and limited to two engineers.",
         "主密钥按区域保存在由 HSM 支持的云 KMS 中，每年轮换且不可导出；对密钥的访问全部记录，仅限两名工程师。", ""),
    ]),
    "access_control": ({}, [
        ("Single sign-on and MFA", "单点登录与多因素认证",
         "Staff sign in through SSO with phishing-resistant MFA (security keys); production access needs a "
         "ticket and expires after 8 hours.",
         "员工通过单点登录并使用防钓鱼的多因素认证（安全密钥）登录；访问生产环境需要工单，且 8 小时后自动失效。", ""),
        ("Quarterly access reviews", "每季度访问权限审查",
         "Managers review every account with access to customer data each quarter; leavers lose access on "
         "their last day.", "经理每季度审查所有可访问客户数据的账户；离职员工在最后工作日即失去访问权限。", ""),
    ]),
    "backups": ({"rto_amount": "4", "rto_unit": "hours", "rpo_amount": "15", "rpo_unit": "minutes"}, [
        ("Continuous backups, restored every quarter", "持续备份，每季度恢复演练",
         "Database changes are shipped every 15 minutes and full backups taken daily, kept for 35 days in the "
         "same region. We restore a full environment every quarter and time it.",
         "数据库变更每 15 分钟传送一次，每天进行完整备份，在同一区域保留 35 天。我们每季度恢复一次完整环境并记录用时。", ""),
    ]),
    "pentest": ({"cadence": "annual"}, [
        ("Annual external penetration test", "年度外部渗透测试",
         "An independent firm tests the web console and public API every year; high findings are fixed within "
         "30 days and retested.", "独立机构每年对 Web 控制台和公共 API 进行测试；高危问题在 30 天内修复并复测。",
         "Web platform penetration test summary"),
        ("Mobile app test", "移动应用测试",
         "The iOS and Android apps are tested separately by a second firm.", "iOS 和 Android 应用由另一家机构单独测试。",
         "Mobile app penetration test summary"),
    ]),
    "sdlc": ({}, [
        ("Reviewed and scanned changes", "代码审查与扫描",
         "Every change is reviewed by a second engineer and passes static analysis, dependency and secret "
         "scanning before it can be deployed.",
         "每项变更都须经第二名工程师审查，并通过静态分析、依赖项和密钥扫描后才能部署。", ""),
        ("Security training", "安全培训",
         "Engineers complete secure-coding training when they join and every year.", "工程师入职时及每年完成安全编码培训。",
         ""),
    ]),
    "privacy": ({"gdpr_role": "processor", "pipl_role": "entrusted_party", "dpo_contact": "dpo@example.com",
                 "pi_officer_contact": "pipo@example.cn", "transfer_basis": ["gdpr_sccs", "pipl_standard_contract"]}, [
        ("Data processing agreement", "数据处理协议",
         "Our DPA (with the EU standard contractual clauses) and the PIPL entrusted-processing agreement are "
         "part of every contract.", "我们的数据处理协议（含欧盟标准合同条款）和《个人信息保护法》委托处理协议是每份合同的组成部分。",
         ""),
    ]),
}


def _audit(session: Session, action: str, object_type: str, object_id: str, detail: dict) -> None:
    audit.record(session, action, by=ACTOR, object_type=object_type, object_id=object_id,
                 detail={**detail, "demo": True})


def _fill_trust_profile(session: Session) -> None:
    profile = trust.get_profile(session)
    if profile.company_name or profile.summary_en or profile.summary_zh:
        return
    changes = trust.update_profile(session, trust.ProfileFields(
        company_name="Example Cloud Ltd.", summary_en=PROFILE_EN, summary_zh=PROFILE_ZH,
        free_mail_domains=profile.free_mail_domains, blocked_domains=profile.blocked_domains,
        allowed_domains=profile.allowed_domains, default_grant_days=profile.default_grant_days or 30,
        show_expired=profile.show_expired, renewal_notes=profile.renewal_notes or {}))
    _audit(session, "trust.settings.update", "trust_profile", str(profile.id), {"changes": changes})


def load_demo_overview(session: Session, today: date | None = None) -> int:
    """Fill the overview if it has no item yet; returns how many items were created (`vault demo` commits)."""
    _fill_trust_profile(session)
    if any(s.items for s in service.sections(session)):
        return 0
    settings = service.get_settings(session)
    changes = service.update_settings(session, summary_en=SUMMARY_EN, summary_zh=SUMMARY_ZH,
                                      security_contact="security@example.com")
    _audit(session, "overview.settings.update", "overview", str(settings.id), {"changes": changes})
    created = 0
    for key, (facts, items) in DEMO.items():
        section = service.get_section(session, key)
        if facts:
            changes = service.update_section(session, section, title_en="", title_zh="", facts=facts)
            _audit(session, "overview.section.update", "overview_section", key, {"changes": changes})
        for title_en, title_zh, text_en, text_zh, evidence_title in items:
            evidence = documents.find_by_title(session, evidence_title) if evidence_title else None
            item = service.create_item(session, section, service.ItemFields(
                title_en, title_zh, text_en, text_zh, evidence.uid if evidence else ""))
            _audit(session, "overview.item.create", "overview_item", item.uid,
                   {"section": key, "fields": service.item_record(item)})
            created += 1
    return created
