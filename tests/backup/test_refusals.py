"""A restore refuses, naming the broken part or what is in the way, and writes nothing: damaged, altered,
truncated and changed-while-restoring files, a wrong passphrase, missing keys, a newer release's backup,
and a target that is not empty."""
from __future__ import annotations

import hashlib
import json
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from tests.backup.builders import PASSPHRASE, close, copy_keys, instance, run
from tests.documents.builders import SMALL_PDF, add_document, new_user
from vault.backup import archive


@pytest.fixture(scope="module")
def backups(tmp_path_factory):
    """A small SQLite instance with three stored files, backed up plainly and with sealed keys."""
    root = tmp_path_factory.mktemp("source")
    source = instance(root)
    from vault import db
    with source.app_context():
        sess = db.session()
        owner = new_user(sess, "legal")
        for title in ("SOC 2 report", "Pentest summary", "ISO certificate"):
            add_document(source, sess, owner, SMALL_PDF, title=title)
    passphrase = root / "passphrase"
    passphrase.write_text(PASSPHRASE)
    plain, sealed = root / "plain.tvbackup", root / "sealed.tvbackup"
    assert run(source, "backup", "-o", str(plain)).exit_code == 0
    assert run(source, "backup", "-o", str(sealed), "--with-keys", "--passphrase-file", str(passphrase)).exit_code == 0
    yield source, plain, sealed
    close(source)


@pytest.fixture
def target(tmp_path, backups):
    """A new instance with the source's key file and nothing else."""
    app = instance(tmp_path / "target", initialise=False)
    copy_keys(backups[0], app)
    yield app
    close(app)


def untouched(app) -> bool:
    """No table was created and no object stored."""
    from vault.storage import get_store
    with app.app_context():
        return inspect(app.extensions["vault.engine"]).get_table_names() == [] and not list(get_store().keys())


def member(path: Path, prefix: str) -> tarfile.TarInfo:
    with tarfile.open(path) as tar:
        return [m for m in tar.getmembers() if m.name.startswith(prefix)][-1]


def flip(path: Path, offset: int) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0x01]))


def copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy.tvbackup"
    dst.write_bytes(src.read_bytes())
    return dst


def test_a_damaged_object_is_named_and_nothing_is_written(tmp_path, backups, target):
    path = copy(backups[1], tmp_path)
    damaged = member(path, archive.OBJECTS)
    flip(path, damaged.offset_data + damaged.size // 2)
    r = run(target, "restore", str(path))
    assert r.exit_code == 1 and "nothing was restored" in r.output
    assert f"{damaged.name}: does not match its SHA-256 in the manifest" in r.output
    assert untouched(target)


def test_a_part_altered_with_its_hash_rewritten_fails_the_signature(tmp_path, backups, target):
    path = copy(backups[1], tmp_path)
    table = member(path, archive.DATABASE)
    with open(path, "rb") as fh:
        fh.seek(table.offset_data)
        before = hashlib.sha256(fh.read(table.size)).hexdigest()
    flip(path, table.offset_data + table.size - 10)
    with open(path, "rb") as fh:
        fh.seek(table.offset_data)
        after = hashlib.sha256(fh.read(table.size)).hexdigest()
    manifest = member(path, archive.MANIFEST)
    with open(path, "r+b") as fh:  # the forger updates the manifest too (same length: in place)
        fh.seek(manifest.offset_data)
        body = fh.read(manifest.size)
        assert body.count(before.encode()) == 1
        fh.seek(manifest.offset_data)
        fh.write(body.replace(before.encode(), after.encode()))
    r = run(target, "restore", str(path))
    assert r.exit_code == 1 and "manifest.json: its signature does not match" in r.output, r.output
    assert untouched(target)


def test_a_truncated_file_is_refused(tmp_path, backups, target):
    path = copy(backups[1], tmp_path)
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size * 2 // 3)
    r = run(target, "restore", str(path))
    assert r.exit_code == 1 and "truncated" in r.output, r.output
    assert untouched(target)


def test_a_wrong_passphrase_is_refused_and_no_key_file_is_written(tmp_path, backups):
    app = instance(tmp_path / "fresh", initialise=False)  # no keys: they must come from the backup
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase at all")
    r = run(app, "restore", str(backups[2]), "--passphrase-file", str(wrong))
    assert r.exit_code == 1 and "keys.sealed.json: wrong passphrase" in r.output, r.output
    assert not Path(app.config["MASTER_KEY_FILE"]).exists() and untouched(app)
    close(app)


def test_a_backup_without_keys_needs_the_key_file(tmp_path, backups):
    app = instance(tmp_path / "fresh", initialise=False)
    r = run(app, "restore", str(backups[1]))
    assert r.exit_code == 1 and "has no master keys" in r.output and app.config["MASTER_KEY_FILE"] in r.output
    assert untouched(app)
    close(app)


def resigned(src: Path, dst: Path, key: bytes, **header_changes) -> Path:
    """The backup as a newer release would write it: header changed, manifest signed again."""
    with tarfile.open(src) as tar, open(dst, "w+b") as out:
        writer = archive.ArchiveWriter(out)
        header = {**json.loads(tar.extractfile(archive.HEADER).read()), **header_changes}
        writer.add(archive.HEADER, [archive.canonical_json(header)])
        for m in tar.getmembers():
            if archive.DATA_PART.match(m.name):
                writer.add(m.name, [tar.extractfile(m).read()])
        writer.finish({"backup_id": header["backup_id"]}, key, header["backup_id"])
    return dst


@pytest.mark.parametrize("changes, message", [
    ({"version": archive.VERSION + 1}, f"newer trustvault (backup format {archive.VERSION + 1}"),
    ({"schema_revision": "9999_from_the_future"}, "newer trustvault (schema revision 9999_from_the_future"),
])
def test_a_backup_from_a_newer_release_is_refused(tmp_path, backups, target, changes, message):
    from vault.crypto import Keyring
    key = Keyring.load(backups[0].config["MASTER_KEY_FILE"]).keys["k1"].key
    path = resigned(backups[1], tmp_path / "newer.tvbackup", key, **changes)
    r = run(target, "restore", str(path))
    assert r.exit_code == 1 and message in r.output, r.output
    assert untouched(target)


def test_a_target_with_data_is_refused_by_table(tmp_path, backups):
    app = instance(tmp_path / "used")
    copy_keys(backups[0], app)
    from vault import db
    with app.app_context():
        new_user(db.session(), "admin")
    r = run(app, "restore", str(backups[1]))
    assert r.exit_code == 1 and "the database is not empty: tables" in r.output, r.output
    assert "users" in r.output.split("have rows")[0]
    close(app)


def test_a_target_store_with_objects_is_refused_by_key(tmp_path, backups, target):
    from vault.storage.local import LocalStore
    key = "ab/cd/" + "0" * 32
    LocalStore(target.config["STORAGE_PATH"]).put(key, [b"left over"])
    r = run(target, "restore", str(backups[1]))
    assert r.exit_code == 1 and f"the object store (local) is not empty: it holds {key}" in r.output, r.output


def test_a_file_changed_while_restoring_rolls_everything_back(tmp_path, backups, target):
    """The second pass re-checks every part: a change after the first pass undoes the rows and objects."""
    from vault import db
    from vault.backup import load
    from vault.backup.cli import _target
    from vault.storage import get_store

    path = copy(backups[1], tmp_path)
    last = member(path, archive.OBJECTS)

    def change_the_file(what: str, name: str, count: int) -> None:
        if what == "object" and count == 1:  # one object is already written: it must go again
            flip(path, last.offset_data + 1)

    with target.app_context():
        with pytest.raises(archive.ArchiveError, match=f"{last.name}: changed since it was verified"):
            load.restore(path, _target(), progress=change_the_file)
        with tarfile.open(path) as tar:
            revision = json.loads(tar.extractfile(archive.HEADER).read())["schema_revision"]
        assert load._non_empty(db.engine(), db.Base.metadata, set(_target().seeded_tables(revision))) == []
        assert list(get_store().keys()) == []


def test_verify_only_checks_the_whole_file_and_writes_nothing(backups, target):
    r = run(target, "restore", str(backups[1]), "--verify-only")
    assert r.exit_code == 0 and "is intact" in r.output and "3 stored files" in r.output, r.output
    assert untouched(target)


def test_backup_never_overwrites_by_default_and_leaves_no_temporary_file(tmp_path, backups):
    out = tmp_path / "existing.tvbackup"
    out.write_bytes(b"an older backup")
    r = run(backups[0], "backup", "-o", str(out))
    assert r.exit_code == 1 and "already exists" in r.output
    assert out.read_bytes() == b"an older backup" and [p.name for p in tmp_path.iterdir()] == [out.name]


def test_backup_refuses_a_short_passphrase_from_the_prompt(tmp_path, backups):
    r = run(backups[0], "backup", "-o", str(tmp_path / "b.tvbackup"), "--with-keys", input="short\nshort\n")
    assert r.exit_code == 1 and "at least 12 characters" in r.output
    assert list(tmp_path.iterdir()) == []


def test_backup_refuses_a_database_behind_the_code(tmp_path):
    from alembic import command
    from alembic.script import ScriptDirectory
    from vault import migrate
    app = instance(tmp_path / "old")
    config = migrate.alembic_config(app.config["DATABASE_URL"])
    command.stamp(config, ScriptDirectory.from_config(config).get_base(), purge=True)  # as if never upgraded
    r = run(app, "backup", "-o", str(tmp_path / "b.tvbackup"))
    assert r.exit_code == 1 and "run `vault init` to upgrade it" in r.output, r.output
    assert not (tmp_path / "b.tvbackup").exists()
    close(app)


def test_backup_names_a_stored_file_whose_object_is_gone(tmp_path):
    from vault import db
    from vault.storage.models import StoredBlob
    app = instance(tmp_path / "lost")
    with app.app_context():
        sess = db.session()
        add_document(app, sess, new_user(sess, "legal"), SMALL_PDF, title="Lost")
        blob = sess.scalar(select(StoredBlob))
    Path(app.config["STORAGE_PATH"], blob.key).unlink()
    r = run(app, "backup", "-o", str(tmp_path / "b.tvbackup"))
    assert r.exit_code == 1 and f"local:{blob.key}) is missing from the object store" in r.output, r.output
    assert [p.name for p in tmp_path.iterdir()] == ["lost"]  # no backup file, no temporary file
    close(app)
