"""Backups restored across engines and stores with the real servers: SQLite + local files to PostgreSQL + S3
and back; afterwards the audit chain verifies, every file decrypts, and the prospect's link still serves
a watermarked PDF through the real download route."""
from __future__ import annotations

import base64
import io
import stat

from pypdf import PdfReader
from sqlalchemy import func, select

from tests.backup.builders import PASSPHRASE, close, copy_keys, download, fill, instance, run
from vault.crypto import Keyring


def row_counts(app) -> dict[str, int]:
    from vault import db
    with app.app_context():
        sess = db.session()
        return {t.name: sess.scalar(select(func.count()).select_from(t)) for t in db.Base.metadata.sorted_tables}


def assert_restored(source_counts: dict[str, int], target, filled) -> None:
    restored = row_counts(target)
    assert restored["audit_events"] == source_counts["audit_events"] + 1  # + the restore itself
    assert {t: n for t, n in restored.items() if t != "audit_events"} == \
           {t: n for t, n in source_counts.items() if t != "audit_events"}
    assert source_counts["stored_blobs"] >= 8 and source_counts["library_entries"] >= 10
    verify = run(target, "audit", "verify")
    assert verify.exit_code == 0, verify.output
    check = run(target, "storage", "check", "--deep")
    assert check.exit_code == 0, check.output
    assert f"{source_counts['stored_blobs']} decrypted and verified, 0 corrupt" in check.output
    r = download(target, filled)
    assert r.status_code == 200, r.data[:300]
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(r.data)).pages)
    assert filled.email in text and "Buyer Ltd" in text  # watermarked for the prospect


def translations(app) -> set[tuple[str, str]]:
    from answers.library.models import LibraryEntry
    from vault import db
    with app.app_context():
        sess = db.session()
        return {(e.ref, sess.get(LibraryEntry, e.translation_of_id).ref)
                for e in sess.scalars(select(LibraryEntry).where(LibraryEntry.translation_of_id.is_not(None)))}


def test_sqlite_and_local_files_to_postgres_and_s3_with_sealed_keys(tmp_path, smtp_sink, postgres_url, s3_endpoint):
    source = instance(tmp_path / "source", smtp_port=smtp_sink.port)
    filled = fill(source, tmp_path / "source", smtp_sink)
    counts, pairs = row_counts(source), translations(source)
    assert pairs  # the library's Chinese translations point at their English entries
    passphrase = tmp_path / "passphrase"
    passphrase.write_text(PASSPHRASE + "\n")
    out = tmp_path / "backups" / "vault.tvbackup"
    out.parent.mkdir()
    made = run(source, "backup", "-o", str(out), "--with-keys", "--passphrase-file", str(passphrase))
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and [p.name for p in out.parent.iterdir()] == [out.name]
    key = Keyring.load(source.config["MASTER_KEY_FILE"]).keys["k1"].key
    data = out.read_bytes()
    assert key not in data and base64.b64encode(key) not in data  # sealed, never in clear
    assert filled.email.encode() not in data and b"security@example.com" not in data  # the rows are encrypted too

    target = instance(tmp_path / "target", database_url=postgres_url, s3_endpoint=s3_endpoint, initialise=False)
    restored = run(target, "restore", str(out), "--passphrase-file", str(passphrase))
    assert restored.exit_code == 0, restored.output
    assert f"Wrote {target.config['MASTER_KEY_FILE']}" in restored.output
    assert stat.S_IMODE((tmp_path / "target" / "instance" / "master_keys.json").stat().st_mode) == 0o600
    assert_restored(counts, target, filled)
    assert translations(target) == pairs
    close(source, target)


def test_postgres_and_s3_to_sqlite_and_local_files_with_the_key_file(tmp_path, smtp_sink, postgres_url, s3_endpoint):
    source = instance(tmp_path / "source", database_url=postgres_url, s3_endpoint=s3_endpoint,
                      smtp_port=smtp_sink.port)
    filled = fill(source, tmp_path / "source", smtp_sink)
    counts = row_counts(source)
    out = tmp_path / "vault.tvbackup"
    made = run(source, "backup", "-o", str(out))
    assert made.exit_code == 0, made.output
    assert "master keys are NOT in this backup" in made.output and source.config["MASTER_KEY_FILE"] in made.output

    # A target on which `vault init` ran: its fresh key is not the backed-up one, and the restore says so.
    target = instance(tmp_path / "target")
    refused = run(target, "restore", str(out))
    assert refused.exit_code == 1 and "k1 is a different key" in refused.output, refused.output
    copy_keys(source, target)
    restored = run(target, "restore", str(out))
    assert restored.exit_code == 0, restored.output
    assert "master keys from this instance" in restored.output
    assert_restored(counts, target, filled)
    close(source, target)
