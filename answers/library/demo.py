"""Demo answer library: answers a real SaaS security team would keep, in English and Chinese."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from answers.library import service
from vault.audit import Actor

# (ref, category, question, alternatives, short, full, language, days since review)
ENTRIES = [
    ("IAM-01", "Identity and access", "Do you enforce multi-factor authentication for all workforce accounts?",
     ["Is 2FA required for employees?", "Is MFA enforced for administrative access?"], "Yes",
     "All staff sign in through our SSO provider with phishing-resistant MFA (WebAuthn security keys or "
     "platform authenticators); TOTP is allowed only as a fallback. Production access additionally requires "
     "MFA at the bastion.", "en", 40),
    ("IAM-02", "Identity and access", "Does the product support single sign-on (SSO) via SAML 2.0 or OpenID Connect?",
     ["Can customers use their own identity provider?"], "Yes",
     "Enterprise plans support SAML 2.0 and OpenID Connect with just-in-time provisioning and SCIM 2.0 "
     "deprovisioning.", "en", 100),
    ("IAM-03", "Identity and access", "Are user access rights reviewed periodically?",
     ["Do you perform quarterly access reviews?"], "Yes",
     "Access to production and to customer data is reviewed quarterly by system owners; leavers are removed "
     "within 24 hours through HR-driven deprovisioning.", "en", 420),
    ("ENC-01", "Cryptography", "Is customer data encrypted at rest?", ["Do you encrypt stored data?"], "Yes",
     "All customer data is encrypted at rest with AES-256 (cloud provider KMS, keys rotated yearly); backups "
     "are encrypted with separate keys.", "en", 60),
    ("ENC-02", "Cryptography", "Is data encrypted in transit over public networks?",
     ["Do you use TLS for all connections?"], "Yes",
     "TLS 1.2+ only, HSTS enabled, modern cipher suites; internal service traffic uses mutual TLS.", "en", 60),
    ("BCP-01", "Resilience", "Do you have a business continuity and disaster recovery plan that is tested at least annually?",
     ["Is your DR plan tested?", "What are your RTO and RPO?"], "Yes",
     "The BCP/DR plan is tested yearly with a regional failover exercise. RTO 4 hours, RPO 15 minutes.", "en", 200),
    ("BCP-02", "Resilience", "Are backups performed regularly and restore-tested?", [], "Yes",
     "Databases are backed up continuously (point-in-time recovery, 35 days) and restores are tested monthly.",
     "en", 30),
    ("VUL-01", "Vulnerability management", "Do you conduct penetration tests by an independent third party?",
     ["How often are external pentests performed?"], "Yes",
     "An independent firm tests the application and infrastructure at least annually and after major "
     "changes; the executive summary is available under NDA in our trust center.", "en", 90),
    ("VUL-02", "Vulnerability management", "Do you scan for vulnerabilities and patch within defined timelines?",
     [], "Yes", "Continuous scanning of images, dependencies and hosts; critical issues are fixed within 7 days, "
     "high within 30.", "en", 90),
    ("SDL-01", "Secure development", "Do you follow a secure software development lifecycle (SDLC)?",
     ["Is code reviewed before release?"], "Yes",
     "Threat modelling for new features, mandatory peer review, SAST and dependency scanning in CI, and "
     "security training for engineers.", "en", 150),
    ("IR-01", "Incident response", "Do you have a documented incident response plan, and how quickly do you notify customers of a breach?",
     ["What is your breach notification timeline?"], "Yes",
     "A documented plan with on-call rotation; affected customers are notified without undue delay and "
     "within 72 hours of confirming a personal data breach.", "en", 120),
    ("LOG-01", "Logging and monitoring", "Are security events logged centrally and monitored?",
     ["Do you have a SIEM?"], "Yes",
     "Audit and security logs are shipped to a central SIEM, retained for 1 year, with alerting on "
     "suspicious activity reviewed 24/7.", "en", 80),
    ("HR-01", "People", "Do you perform background checks on new employees?", [], "Yes",
     "Background checks are performed for all new hires where local law permits.", "en", 300),
    ("HR-02", "People", "Do employees receive security and privacy awareness training?", [], "Yes",
     "At onboarding and annually, with phishing simulations each quarter.", "en", 300),
    ("PRIV-01", "Privacy", "Do you use subprocessors to process customer personal data?",
     ["Where is the list of subprocessors?"], "Yes",
     "Yes; the current list of subprocessors is published in our trust center and customers are notified "
     "30 days before a new subprocessor is added.", "en", 45),
    ("PRIV-02", "Privacy", "Can customer data be deleted on request at the end of the contract?", [], "Yes",
     "Customer data is deleted within 30 days of contract end, and from backups within 35 days.", "en", 45),
    ("CERT-01", "Compliance", "Do you hold an ISO/IEC 27001 certification?", [], "Yes",
     "Our ISMS is ISO/IEC 27001:2022 certified; the certificate is published in our trust center.", "en", 20),
    ("CERT-02", "Compliance", "Do you have a SOC 2 Type II report?", [], "Yes",
     "Yes, covering Security, Availability and Confidentiality; available under NDA.", "en", 20),
    ("ZH-MLPS-01", "合规", "是否通过网络安全等级保护（等保）三级测评？", ["是否具备等保三级备案证明？"], "是",
     "是。中国区服务已完成网络安全等级保护 2.0 第三级备案与测评，测评报告可在签署保密协议后提供。", "zh", 20),
    ("ZH-PIPL-01", "隐私", "个人信息是否存储在中国境内？", ["是否满足《个人信息保护法》数据本地化要求？"], "是",
     "中国区客户的个人信息存储于中国境内的数据中心，跨境传输前按《个人信息保护法》完成安全评估或标准合同备案。",
     "zh", 60),
    ("ZH-IAM-01", "身份与访问", "是否对所有员工账号启用多因素认证？", [], "是",
     "所有员工通过统一身份认证登录，并强制启用多因素认证（安全密钥或动态口令）。", "zh", 40),
    ("ZH-ENC-01", "加密", "客户数据在存储时是否加密？", ["是否对静态数据加密？"], "是",
     "所有客户数据在存储时均使用 AES-256 加密（云服务商密钥管理服务，密钥每年轮换）；备份使用独立密钥加密。", "zh", 60),
    ("ZH-PRIV-02", "隐私", "合同终止后，客户数据能否按要求删除？", [], "是",
     "合同终止后 30 天内删除客户数据，备份中的数据在 35 天内删除。", "zh", 45),
]

# Published in the trust center's FAQ (answers.library.public): approved, reviewed within the year.
PUBLIC = {"IAM-01", "IAM-02", "ENC-01", "ENC-02", "BCP-02", "VUL-01", "PRIV-01", "PRIV-02", "CERT-01", "CERT-02",
          "ZH-MLPS-01", "ZH-PIPL-01", "ZH-IAM-01", "ZH-ENC-01", "ZH-PRIV-02"}
# (translation, original): the FAQ shows one of the two, in the reader's language
TRANSLATIONS = (("ZH-IAM-01", "IAM-01"), ("ZH-ENC-01", "ENC-01"), ("ZH-PRIV-02", "PRIV-02"))
TAGS = {"IAM-01": ["MFA", "SSO"], "IAM-02": ["SSO"], "ENC-01": ["encryption"], "ENC-02": ["encryption", "TLS"],
        "BCP-02": ["backups"], "PRIV-01": ["GDPR"], "PRIV-02": ["GDPR"], "ZH-IAM-01": ["多因素认证"],
        "ZH-ENC-01": ["加密"], "ZH-PIPL-01": ["个人信息保护法"], "ZH-PRIV-02": ["个人信息保护法"]}


def load_demo_library(session: Session, today: date) -> int:
    from sqlalchemy import select

    from vault.auth.models import User
    actor = Actor(label="vault demo")
    owner_id = session.scalar(select(User.id).where(User.email == "security@example.com"))
    created = 0
    for ref, category, question, alternatives, short, full, language, reviewed in ENTRIES:
        if service.get_by_ref(session, ref) is not None:
            continue
        service.create_entry(session, actor, ref=ref, category=category, question=question,
                             alternatives=alternatives, answer_short=short, answer_full=full, language=language,
                             status="approved", owner_id=owner_id, last_reviewed_on=today - timedelta(days=reviewed),
                             review_interval_days=365, public=ref in PUBLIC, tags=TAGS.get(ref, []))
        created += 1
    for translation, original in TRANSLATIONS:
        english = service.get_by_ref(session, original)
        chinese = service.get_by_ref(session, translation)
        if english and chinese and chinese.translation_of_id is None:
            service.update_entry(session, chinese, actor, translation_of_id=english.id)
    return created
