"""`vault demo`: two advisories (one published with its CVSS vector, CVE id and timeline, one draft) and
one announcement, created through the service like real ones. Skips what already exists (by title)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from vault.advisories import service
from vault.advisories.models import Advisory, Announcement
from vault.audit import Actor

ACTOR = Actor(label="vault demo")

PUBLISHED_BODY_EN = """A user with access to the questionnaire export could craft a file name that made the
server write the exported workbook outside the export folder (path traversal). Exploitation needed a
signed-in account; customer documents were not readable through it.

**What to do:** update to 4.2.1. Self-hosted installations that cannot update yet can set
`EXPORT_DIR` to a folder on its own volume.

We thank Lin Wei of Example Security Lab for reporting this issue responsibly."""

PUBLISHED_BODY_ZH = """拥有问卷导出权限的用户可以构造文件名，使服务器将导出的工作簿写到导出目录之外（路径遍历）。
利用此漏洞需要已登录的账户；无法通过它读取客户文档。

**应对措施**：升级到 4.2.1。暂时无法升级的自托管部署可将 `EXPORT_DIR` 设置为独立卷上的目录。

感谢 Example Security Lab 的林伟负责任地报告此问题。"""


def load_demo_advisories(session: Session, today: date) -> int:
    """Returns how many rows were created."""
    titles = set(session.scalars(select(Advisory.title_en)))
    created = 0
    when = lambda d: datetime.combine(d, time(9, 0), tzinfo=timezone.utc)  # noqa: E731
    if "Path traversal in questionnaire export" not in titles:
        published = today - timedelta(days=12)
        service.create_advisory(
            session, actor=ACTOR, title_en="Path traversal in questionnaire export",
            title_zh="问卷导出中的路径遍历", body_en=PUBLISHED_BODY_EN, body_zh=PUBLISHED_BODY_ZH,
            cvss_vector="CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:L", cve_ids=["CVE-2026-31337"],
            affected=[("TrustVault Server", "4.0.0 – 4.2.0")], fixed_in=[("TrustVault Server", "4.2.1")],
            timeline=[(published - timedelta(days=30), "Reported through our disclosure programme", "通过漏洞披露计划收到报告"),
                      (published - timedelta(days=27), "Confirmed and rated High", "确认漏洞，评级为“高”"),
                      (published - timedelta(days=2), "Version 4.2.1 released with the fix", "发布包含修复的 4.2.1 版本"),
                      (published, "Advisory published", "发布安全公告")],
            publish=True, now=when(published))
        created += 1
    if "Session cookie kept after password change" not in titles:
        service.create_advisory(
            session, actor=ACTOR, title_en="Session cookie kept after password change",
            title_zh="修改密码后会话 Cookie 仍然有效",
            body_en="Draft: other sessions of a user stayed signed in for up to 12 hours after a password "
                    "change. Fix scheduled for 4.2.2.",
            cvss_vector="CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N",
            affected=[("TrustVault Server", "< 4.2.2")], now=when(today - timedelta(days=1)))
        created += 1
    if session.scalar(select(Announcement.id).limit(1)) is None:
        service.create_announcement(
            session, actor=ACTOR, title_en="New PGP key for security@example.com",
            title_zh="security@example.com 的新 PGP 密钥",
            body_en="Our security team's PGP key was rotated. The new fingerprint is published in "
                    "`/.well-known/security.txt`; the old key stays valid for verifying past messages until "
                    "the end of the year.",
            body_zh="安全团队的 PGP 密钥已轮换。新指纹已发布在 `/.well-known/security.txt` 中；旧密钥在年底前仍可用于验证以往的消息。",
            now=when(today - timedelta(days=40)))
        created += 1
    return created
