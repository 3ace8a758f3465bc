"""Real, multi-page PDFs for the demo data (fpdf2). All names and figures are fictitious.

English documents use the built-in Helvetica; the Chinese MLPS report needs a CJK font with Latin
glyphs: `VAULT_CJK_FONT` (a .ttf/.otf/.ttc path) or Debian's fonts-wqy-microhei / fonts-noto-cjk.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import click
from fpdf import FPDF
from fpdf.fonts import FontFace

from vault.watermark import fonts

class CjkFontMissing(click.ClickException):
    """A ClickException so `vault demo` prints the message (exit code 1) instead of a traceback."""

    def __init__(self) -> None:
        super().__init__("No Chinese font found for the MLPS demo report. Install Debian's fonts-wqy-microhei "
                         "(apt-get install fonts-wqy-microhei) or set VAULT_CJK_FONT to a .ttf/.otf/.ttc font "
                         "that covers Chinese and Latin.")


def find_cjk_font() -> Path:
    found = fonts.find_cjk_font()  # the same finder the watermark uses
    if found is None:
        raise CjkFontMissing()
    return found


collection_index = fonts.collection_index


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    table: list[list[str]] | None = None  # first row is the header
    widths: tuple[int, ...] | None = None
    new_page: bool = False


class _Report(FPDF):
    def __init__(self, header_text: str, font: str, page_label: str) -> None:
        super().__init__(format="A4")
        self.header_text, self.font_name, self.page_label = header_text, font, page_label
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)

    def header(self) -> None:
        self.set_font(self.font_name, size=8)
        self.set_text_color(110)
        self.cell(0, 6, self.header_text, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.font_name, size=8)
        self.set_text_color(110)
        self.cell(0, 6, self.page_label.format(page=self.page_no(), pages="{nb}"), align="C")
        self.set_text_color(0)


def render(title: str, subtitle: str, sections: list[Section], *, header: str, cjk: bool = False,
           page_label: str = "Page {page} of {pages}") -> bytes:
    font = "helvetica"
    pdf = _Report(header, font, page_label)
    if cjk:
        font_path = find_cjk_font()
        pdf.add_font("cjk", fname=str(font_path), collection_font_number=collection_index(font_path))
        font = pdf.font_name = "cjk"
    # The CJK font has no bold face: headings are set off by a fill colour instead.
    heading_style = FontFace(emphasis="" if cjk else "B", fill_color=(230, 234, 240))
    pdf.set_title(title)
    pdf.set_author(header)
    pdf.add_page()
    pdf.set_font(font, size=20)
    pdf.multi_cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, size=11)
    pdf.set_text_color(80)
    pdf.multi_cell(0, 6, subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.ln(4)
    for section in sections:
        if section.new_page:
            pdf.add_page()
        pdf.set_font(font, size=13)
        pdf.multi_cell(0, 8, section.heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(font, size=10)
        for para in section.paragraphs:
            pdf.multi_cell(0, 5.5, para, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        if section.table:
            with pdf.table(col_widths=section.widths, text_align="LEFT", line_height=5.5,
                           first_row_as_headings=True, headings_style=heading_style) as table:
                for row in section.table:
                    table.row(row)
            pdf.ln(3)
    return bytes(pdf.output())


# --- the demo documents ---------------------------------------------------------------------------

COMPANY = "Example Cloud Ltd."
CJK_COMPANY = "示例云科技有限公司"


def iso27001_certificate(*, number: str, issued: date, expires: date) -> bytes:
    return render(
        "Certificate of Registration", "ISO/IEC 27001:2022 - Information security management system",
        [Section("Certified organisation", [
            f"This is to certify that the information security management system of {COMPANY}, "
            "100 Harbour Road, Singapore, has been assessed and found to conform to the requirements of "
            "ISO/IEC 27001:2022.",
            "Scope: the design, development, operation and support of the Example Cloud platform (compute, "
            "object storage, managed databases), including the data centres in Singapore and Frankfurt, in "
            "accordance with the Statement of Applicability version 7.2."]),
         Section("Certificate details", table=[
             ["Item", "Value"], ["Certificate number", number], ["Initial certification", "2019-03-14"],
             ["Date of issue", issued.isoformat()], ["Expiry date", expires.isoformat()],
             ["Certification body", "Example Certification Services B.V. (accredited, fictitious)"]],
             widths=(45, 125)),
         Section("Annex: certified sites", new_page=True, table=[
             ["Site", "Address", "Activities"],
             ["Headquarters", "100 Harbour Road, Singapore", "Management, engineering, support"],
             ["DC SG-1", "12 Tuas South Ave, Singapore", "Data centre operations"],
             ["DC FRA-1", "Hanauer Landstrasse 300, Frankfurt", "Data centre operations"]],
             widths=(35, 75, 60),
             paragraphs=["The validity of this certificate depends on successful annual surveillance audits. "
                         "Verify it at the certification body's public register."])],
        header=f"{COMPANY} - ISO/IEC 27001 certificate {number}")


def soc2_type2_report(*, period_start: date, period_end: date, issued: date) -> bytes:
    controls = [
        ["Ref", "Control", "Test performed", "Result"],
        ["CC1.1", "Code of conduct acknowledged by staff at hire and yearly", "Inspected 25 sampled acknowledgements",
         "No exceptions"],
        ["CC2.1", "Security policies reviewed and approved yearly", "Inspected approval records", "No exceptions"],
        ["CC3.2", "Annual risk assessment with treatment plan", "Inspected risk register and minutes", "No exceptions"],
        ["CC5.2", "Change management: peer review before production", "Inspected 40 sampled changes",
         "1 exception (see IV.3)"],
        ["CC6.1", "Production access via SSO with MFA", "Inspected IdP configuration; observed login",
         "No exceptions"],
        ["CC6.2", "Quarterly access reviews", "Inspected 4 quarterly reviews", "No exceptions"],
        ["CC6.3", "Leavers' access removed within 24 hours", "Inspected 20 sampled leavers", "No exceptions"],
        ["CC6.7", "Data encrypted in transit (TLS 1.2+) and at rest (AES-256)", "Inspected configuration",
         "No exceptions"],
        ["CC7.2", "Security events monitored 24x7 by the SOC", "Inspected alerts and tickets", "No exceptions"],
        ["CC7.4", "Incident response plan tested yearly", "Inspected tabletop exercise report", "No exceptions"],
        ["CC8.1", "Vulnerability scans weekly, critical fixes within 15 days", "Inspected scan reports",
         "No exceptions"],
        ["CC9.2", "Vendor risk assessments for critical suppliers", "Inspected 10 assessments", "No exceptions"],
        ["A1.2", "Daily backups, restore tested quarterly", "Inspected restore test evidence", "No exceptions"],
    ]
    period = f"{period_start.isoformat()} to {period_end.isoformat()}"
    return render(
        "SOC 2 Type II Report", f"{COMPANY} - Example Cloud platform. Report on controls relevant to security, "
        f"availability and confidentiality for the period {period}.",
        [Section("Section I - Independent service auditor's report", [
            "To the management of Example Cloud Ltd.:",
            "Scope. We have examined Example Cloud's description of its Example Cloud platform system for the "
            f"period {period} (the description) and the suitability of the design and operating effectiveness of "
            "controls stated in the description to provide reasonable assurance that the service commitments and "
            "system requirements were achieved based on the trust services criteria relevant to security, "
            "availability and confidentiality.",
            "Opinion. In our opinion, in all material respects, the description presents the system that was "
            "designed and implemented throughout the period in accordance with the description criteria; the "
            "controls stated in the description were suitably designed; and the controls operated effectively "
            "throughout the period.",
            f"Example Assurance LLP (fictitious), {issued.isoformat()}"]),
         Section("Section II - Management's assertion", [
            "We have prepared the accompanying description of the Example Cloud platform system and confirm, to "
            "the best of our knowledge and belief, that the description fairly presents the system and that the "
            "controls operated effectively throughout the period."]),
         Section("Section III - Description of the system", new_page=True, paragraphs=[
            "Services provided. Example Cloud offers infrastructure services (compute, object storage, managed "
            "PostgreSQL) to business customers in Asia and Europe.",
            "Infrastructure. Production runs in two data centres (Singapore and Frankfurt) on hardened Linux hosts "
            "managed through infrastructure as code. Customer data is encrypted at rest with AES-256 and keys held "
            "in a hardware-backed key management service.",
            "People. 180 employees; security is led by the CISO with a 12-person security team and a 24x7 "
            "security operations centre.",
            "Complementary user entity controls. Customers are responsible for managing their own users' access, "
            "enabling MFA on their accounts and configuring network rules for their workloads."]),
         Section("Section IV - Trust services criteria, controls and tests of operating effectiveness",
                 new_page=True, table=controls, widths=(14, 62, 58, 40)),
         Section("IV.3 Exception noted and management's response", [
            "CC5.2: for 1 of 40 sampled changes, the peer review was recorded after deployment. Management "
            "response: the deployment pipeline now blocks merges without an approved review (implemented during "
            "the period; operating since the fourth quarter)."]),
         Section("Section V - Other information provided by management", [
            "Management has completed the migration of its logging platform after the period; this information "
            "has not been subjected to the auditor's procedures."])],
        header=f"{COMPANY} - SOC 2 Type II - CONFIDENTIAL - shared under NDA")


def mlps_level3_report(*, assessed: date, score: float) -> bytes:
    results = [
        ["安全类", "测评项数", "符合", "部分符合", "不符合"],
        ["安全物理环境", "22", "21", "1", "0"],
        ["安全通信网络", "8", "8", "0", "0"],
        ["安全区域边界", "20", "18", "2", "0"],
        ["安全计算环境", "34", "30", "3", "1"],
        ["安全管理中心", "8", "8", "0", "0"],
        ["安全管理制度", "7", "7", "0", "0"],
        ["安全管理机构", "14", "14", "0", "0"],
        ["安全管理人员", "12", "12", "0", "0"],
        ["安全建设管理", "34", "33", "1", "0"],
        ["安全运维管理", "48", "46", "2", "0"],
    ]
    issues = [
        ["编号", "问题描述", "风险等级", "整改建议"],
        ["1", "部分数据库服务器未启用登录失败处理功能", "中", "配置登录失败锁定策略（5次/30分钟）"],
        ["2", "区域边界未对远程访问进行会话超时控制", "低", "在堡垒机设置15分钟会话超时"],
        ["3", "个别应用日志留存不足六个月", "中", "统一接入日志平台并保存180天以上"],
    ]
    return render(
        "网络安全等级保护测评报告",
        f"被测系统：示例云平台（第三级）    被测单位：{CJK_COMPANY}\n"
        f"测评机构：示例网络安全测评中心（虚构）    报告日期：{assessed.isoformat()}",
        [Section("一、测评项目概述", [
            "依据 GB/T 22239-2019《信息安全技术 网络安全等级保护基本要求》、GB/T 28448-2019《网络安全等级保护测评要求》"
            "对示例云平台开展第三级等级测评。测评方法包括访谈、核查和测试。",
            "系统定级：业务信息安全保护等级为第三级，系统服务安全保护等级为第三级，综合定级为第三级。"]),
         Section("二、被测对象描述", [
            "示例云平台为企业客户提供云主机、对象存储和数据库服务，部署于上海和北京两个数据中心，"
            "采用主备架构。系统边界包括互联网出口、运维管理区、生产业务区和数据存储区。"]),
         Section("三、单项测评结果汇总", new_page=True, table=results, widths=(44, 30, 30, 32, 30)),
         Section("四、主要安全问题及整改建议", table=issues, widths=(14, 70, 22, 68)),
         Section("五、等级测评结论", new_page=True, paragraphs=[
            f"综合得分：{score:.1f} 分。",
            "测评结论：基本符合。被测系统未发现高风险问题，中低风险问题已制定整改计划。",
            "第三级系统应每年至少进行一次等级测评。本报告有效期至下一次年度测评完成为止。"])],
        header=f"{CJK_COMPANY} · 网络安全等级保护测评报告（第三级）", cjk=True, page_label="第 {page} 页 / 共 {pages} 页")


def policy(title: str, version: str, approved: date, sections: list[tuple[str, list[str]]]) -> bytes:
    return render(title, f"{COMPANY} - version {version}, approved by the Security Steering Committee on "
                         f"{approved.isoformat()}. Owner: Chief Information Security Officer.",
                  [Section(h, p) for h, p in sections], header=f"{COMPANY} - {title} v{version}")


def information_security_policy(approved: date) -> bytes:
    return policy("Information Security Policy", "4.1", approved, [
        ("1. Purpose", ["This policy sets out how Example Cloud protects the confidentiality, integrity and "
                        "availability of the information it holds for itself and its customers."]),
        ("2. Scope", ["It applies to all employees, contractors and systems, in every office and data centre."]),
        ("3. Principles", ["Least privilege and need to know; security by design; defence in depth; "
                           "measurable controls reviewed at least yearly.",
                           "Customer data is classified Confidential at minimum and encrypted in transit and at rest."]),
        ("4. Roles", ["The CISO owns this policy. Managers ensure their teams follow it. Every person reports "
                      "suspected incidents at once to security@example.com."]),
        ("5. Risk management", ["Risks are assessed yearly and on major change, recorded in the risk register "
                                "and treated according to the approved risk appetite."]),
        ("6. Compliance", ["Breaches of this policy may lead to disciplinary action. Exceptions need written "
                           "approval from the CISO, a time limit and compensating controls."]),
        ("7. Review", ["This policy is reviewed at least once a year and after any significant change."]),
    ])


def acceptable_use_policy(approved: date) -> bytes:
    return policy("Acceptable Use Policy", "2.3", approved, [
        ("1. Purpose", ["Rules for using Example Cloud's devices, accounts, networks and data."]),
        ("2. Accounts", ["Accounts are personal: never share passwords or MFA devices. Use the company password "
                         "manager and a unique password for every service."]),
        ("3. Devices", ["Company laptops run disk encryption, the endpoint agent and automatic updates. Do not "
                        "disable them. Lock the screen when away."]),
        ("4. Data", ["Store company data only in approved services. Do not copy customer data to personal "
                     "devices, removable media or unapproved AI tools."]),
        ("5. Internet and email", ["Report phishing with the Report button. Do not install unapproved software."]),
        ("6. Monitoring", ["Company systems are monitored for security purposes, as permitted by local law."]),
    ])


def dpa(version: str, effective: date) -> bytes:
    return policy("Data Processing Agreement", version, effective, [
        ("1. Subject matter", ["This Data Processing Agreement (DPA) forms part of the Example Cloud Terms of "
                               "Service and governs the processing of personal data by Example Cloud on behalf "
                               "of the Customer under the GDPR and the PIPL."]),
        ("2. Processor obligations", ["Example Cloud processes personal data only on documented instructions, "
                                      "ensures staff confidentiality and implements the measures in Annex II."]),
        ("3. Sub-processors", ["The current list of sub-processors is published on the trust center; customers "
                               "are notified 30 days before any change and may object."]),
        ("4. International transfers", ["Transfers rely on the EU Standard Contractual Clauses (2021/914) and, "
                                        "for personal information from China, the PIPL standard contract."]),
        ("5. Personal data breaches", ["Example Cloud notifies the Customer without undue delay and at the latest "
                                       "within 48 hours of becoming aware of a breach."]),
        ("Annex II - Technical and organisational measures", [
            "Encryption in transit and at rest; access control with MFA; logging and monitoring; yearly "
            "penetration tests; business continuity with tested backups; ISO 27001 certified ISMS."]),
    ])


def nda_template(effective: date) -> bytes:
    return policy("Mutual Non-Disclosure Agreement (template)", "3.0", effective, [
        ("1. Confidential information", ["Any non-public information disclosed by one party to the other, "
                                         "including security reports and audit results, in any form."]),
        ("2. Obligations", ["The recipient uses confidential information only to evaluate the business "
                            "relationship, protects it with reasonable care and shares it only with people who "
                            "need to know and are bound by similar duties."]),
        ("3. Exclusions", ["Information that is public, already known, independently developed or lawfully "
                           "received from a third party."]),
        ("4. Term", ["Two years from signature; obligations survive for three years after disclosure."]),
        ("5. Governing law", ["The laws of Singapore. Signature blocks follow."]),
    ])


def pentest_summary(*, target: str, tester: str, tested: date, findings: list[list[str]]) -> bytes:
    return render(
        "Penetration Test - Executive Summary", f"{target}. Tested by {tester} (fictitious) between "
        f"{(tested - timedelta(days=14)).isoformat()} and {tested.isoformat()}.",
        [Section("Scope and approach", [
            f"Grey-box test of {target} following the OWASP Web Security Testing Guide and PTES, with two test "
            "accounts per role. Social engineering and denial of service were out of scope."]),
         Section("Summary of findings", table=[["ID", "Finding", "Severity", "Status"], *findings],
                 widths=(14, 96, 28, 36)),
         Section("Conclusion", new_page=True, paragraphs=[
            "No critical issues were found. All high findings were fixed and verified in a retest. The overall "
            "security posture is good for an internet-facing service of this kind.",
            "This summary is shared under NDA; the full technical report is available to auditors on request."])],
        header=f"{COMPANY} - penetration test summary - CONFIDENTIAL")
