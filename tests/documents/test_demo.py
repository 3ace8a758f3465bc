"""`vault demo`: idempotent, real PDFs, through the encrypted store."""
import io
import os

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.conftest import IN_CI
from vault import audit, db, demo_pdfs
from vault.auth.models import User
from vault.documents import service
from vault.documents.models import Document, DocumentVersion


@pytest.fixture
def cjk_font():
    try:
        return demo_pdfs.find_cjk_font()
    except demo_pdfs.CjkFontMissing as exc:
        if IN_CI:
            raise
        pytest.skip(str(exc))


def test_demo_twice_creates_documents_once(app, runner, cjk_font):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "9 new documents" in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "0 new documents" in second.output
    with app.app_context():
        sess = db.session()
        own = Document.type != "trust_report"  # the demo also makes custom reports on two demo grants
        assert sess.scalar(select(func.count()).select_from(Document).where(own)) == 9
        assert sess.scalar(select(func.count()).select_from(DocumentVersion).join(Document, DocumentVersion.document_id == Document.id).where(own)) == 11
        assert sess.scalar(select(func.count()).select_from(Document).where(~own)) == 2
        owner = sess.scalar(select(User).where(User.email == "security@example.com"))
        assert owner.role == "security"
        docs = {d.title_for("en"): d for d in service.list_documents(sess)}
        soc2 = docs["SOC 2 Type II report"]
        assert soc2.visibility == "nda" and soc2.frameworks == ["soc2"]
        v = service.current_version(soc2)
        assert v.audit_period_start and v.audit_period_end and v.audit_period_end > v.audit_period_start
        pages = PdfReader(io.BytesIO(b"".join(service.open_version(v)))).pages
        assert len(pages) >= 3 and "Independent service auditor" in pages[0].extract_text()

        mlps = docs["MLPS 2.0 level 3 assessment report"]
        assert mlps.title_for("zh").startswith("等级保护测评报告")
        v = service.current_version(mlps)
        reader = PdfReader(io.BytesIO(b"".join(service.open_version(v))))
        assert len(reader.pages) >= 3 and v.page_count == len(reader.pages)
        # pypdf interleaves NULs when the font is CFF-based (Noto CJK); the text itself is right.
        assert "等级保护" in reader.pages[0].extract_text().replace("\x00", "")

        statuses = {t: service.document_status(d, today=__import__("datetime").date.today(), warning_days=60).kind
                    for t, d in docs.items()}
        assert {"valid", "expiring", "expired", "no_expiry"} <= {s.value for s in statuses.values()}
        dpa = docs["Data processing agreement"]
        assert [v.withdrawn for v in dpa.versions] == [True, False]
        for d in docs.values():
            for version in d.versions:
                assert version.media_type == "application/pdf" and version.page_count >= 1
        assert len(audit.query_events(sess, action="document.create")) == 9
        assert audit.verify_chain(sess).ok


def test_demo_without_a_chinese_font_fails_clearly(app, runner, monkeypatch):
    monkeypatch.setenv("VAULT_CJK_FONT", os.path.join(app.instance_path, "no-such-font.ttf"))
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 1
    assert "fonts-wqy-microhei" in result.output
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Document)) == 0
