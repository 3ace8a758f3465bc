"""Write a backup: one consistent database snapshot, the objects its rows point to, a signed manifest.

Consistency comes from reading everything inside ONE read-only transaction: REPEATABLE READ on
PostgreSQL (one snapshot for every table, writers never blocked), and an explicit BEGIN on SQLite in
WAL mode (the driver opens no transaction for reads by itself; without it each SELECT would see the
latest commit). Objects are listed from the snapshot's `stored_blobs` rows, so uploads that commit
after the snapshot are not in the backup and no object is copied without its row. Objects never
change after they are written (a new version is a new object), so copying them after the snapshot
began is safe; one deleted meanwhile stops the backup with its name.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Connection, Engine

from vault import privatefile
from vault.backup import archive, sealing
from vault.backup.rows import columns_of, encode
from vault.crypto import Keyring, sealed_key_id
from vault.db import utcnow
from vault.storage.base import ObjectMissing, StorageError

Progress = Callable[[str, str, int], None]  # (what, name, count): "table"/"object"


class BackupError(Exception):
    pass


@dataclass
class BackupResult:
    path: Path
    backup_id: str
    schema_revision: str
    tables: int
    rows: int
    objects: int
    object_bytes: int
    size: int
    sha256: str  # of the whole file: what an operator writes next to it in a backup log
    needed_keys: list[str]
    with_keys: bool


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection inside one read-only transaction that sees one point in time."""
    if engine.dialect.name == "postgresql":
        conn = engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn, conn.begin():
            yield conn
    elif engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("BEGIN")  # deferred: the snapshot is taken by the first read below
            try:
                yield conn
            finally:
                conn.rollback()
    else:
        raise BackupError(f"backups of {engine.dialect.name} databases are not supported")


def write_backup(out: Path, *, engine: Engine, metadata: MetaData, heads: set[str], store_for: Callable,
                 keyring: Keyring, secret_key: str | None, passphrase: str | None = None,
                 overwrite: bool = False, progress: Progress | None = None) -> BackupResult:
    """Write the backup to `out` atomically (temp file, fsync, rename; mode 0600).

    `heads`: the schema revisions this code knows as newest; `store_for(backend)` the ObjectStore of a
    backend name; `passphrase`: seal the master keys and the secret key into the backup (--with-keys).
    """
    progress = progress or (lambda *_: None)
    out = Path(out)
    if out.exists() and not overwrite:
        raise BackupError(f"{out} already exists (choose a new name, or --overwrite)")
    if not out.parent.is_dir():
        raise BackupError(f"the folder {out.parent} does not exist")
    if passphrase is not None:
        sealing.check_passphrase(passphrase)
    backup_id = secrets.token_hex(16)
    try:
        with privatefile.writing(out, overwrite=overwrite) as fh:  # never clobbers without --overwrite
            result = _write(fh, out, backup_id, engine, metadata, heads, store_for, keyring, secret_key,
                            passphrase, progress)
            fh.flush()
            result.size = fh.tell()
            fh.seek(0)
            result.sha256 = _file_sha256(fh)
    except FileExistsError:
        raise BackupError(f"{out} already exists (choose a new name, or --overwrite)") from None
    return result


def _file_sha256(fh) -> str:
    digest = hashlib.sha256()
    while chunk := fh.read(archive.READ_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _write(fh, out, backup_id, engine, metadata, heads, store_for, keyring, secret_key, passphrase,
           progress) -> BackupResult:
    writer = archive.ArchiveWriter(fh)
    with snapshot(engine) as conn:
        revision = MigrationContext.configure(conn).get_current_revision()  # first read: fixes the snapshot
        if revision is None:
            raise BackupError("the database has no schema yet (run `vault init`): nothing to back up")
        if revision not in heads:
            raise BackupError(f"the database is at schema revision {revision}, but this code's newest is "
                              f"{', '.join(sorted(heads))}: run `vault init` to upgrade it (or use the "
                              "trustvault version that made it), then back up")
        header = {
            "format": archive.FORMAT, "version": archive.VERSION, "backup_id": backup_id,
            "created_at": utcnow().isoformat(), "schema_revision": revision, "database": engine.dialect.name,
            "signing_key": keyring.active,
            "key_fingerprints": {k.id: archive.fingerprint(k.key) for k in keyring.keys.values()},
            "secret_key_fingerprint": archive.fingerprint(secret_key.encode()) if secret_key else None,
            "sealed_keys": passphrase is not None, "tables_encrypted": "AES-256-GCM",
        }
        writer.add(archive.HEADER, [archive.canonical_json(header)])
        if passphrase is not None:
            payload = json.dumps({"keyring": keyring.to_json(), "secret_key": secret_key}).encode()
            block = sealing.seal(payload, passphrase, backup_id=backup_id)
            writer.add(archive.SEALED_KEYS, [archive.canonical_json(block)])
        rows = 0
        tables_key = archive.table_key(keyring.keys[keyring.active].key, backup_id)
        tables = metadata.sorted_tables  # parents before children: inserts in this order satisfy foreign keys
        for n, table in enumerate(tables):
            count = [0]
            name = f"{archive.DATABASE}{n:03d}-{table.name}.jsonl.gz"
            writer.add(name,
                       archive.encrypted(tables_key, name, archive.gzip_lines(_table_lines(conn, table, count))),
                       table=table.name)
            writer.parts[-1]["rows"] = count[0]
            rows += count[0]
            progress("table", table.name, count[0])
        needed = _needed_keys(conn, metadata)
        missing = sorted(set(needed) - set(keyring.keys))
        if missing:
            raise BackupError(f"stored data is protected by master keys {', '.join(missing)}, which are not in "
                              "this instance's keyring: `vault storage check` tells more")
        objects, object_bytes = _copy_objects(conn, metadata, writer, store_for, progress)
    writer.finish({"format": archive.FORMAT, "version": archive.VERSION, "backup_id": backup_id,
                   "needed_keys": needed, "tables": len(tables), "rows": rows, "objects": objects},
                  keyring.keys[keyring.active].key, backup_id)
    return BackupResult(path=out, backup_id=backup_id, schema_revision=revision, tables=len(tables), rows=rows,
                        objects=objects, object_bytes=object_bytes, size=0, sha256="", needed_keys=needed,
                        with_keys=passphrase is not None)


def _table_lines(conn: Connection, table, count: list[int]) -> Iterator[bytes]:
    columns = columns_of(table)
    yield archive.canonical_json({"table": table.name, "columns": columns})
    kinds = [kind for _, kind in columns]
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(yield_per=1000).execute(select(table).order_by(*order))
    for row in result:
        count[0] += 1
        yield json.dumps([encode(kind, value) for kind, value in zip(kinds, row)],
                         ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _needed_keys(conn: Connection, metadata: MetaData) -> list[str]:
    """Master keys the data needs: those wrapping file keys and those sealing two-factor secrets."""
    blobs, users = metadata.tables["stored_blobs"], metadata.tables["users"]
    needed = set(conn.scalars(select(blobs.c.master_key_id).distinct()))
    for token in conn.scalars(select(users.c.totp_secret).where(users.c.totp_secret.is_not(None))):
        if key_id := sealed_key_id(token):
            needed.add(key_id)
    return sorted(needed)


def _copy_objects(conn: Connection, metadata: MetaData, writer: archive.ArchiveWriter, store_for,
                  progress: Progress) -> tuple[int, int]:
    blobs = metadata.tables["stored_blobs"]
    count = total = 0
    rows = conn.execution_options(yield_per=1000).execute(
        select(blobs.c.id, blobs.c.backend, blobs.c.key).order_by(blobs.c.id))
    for row in rows:
        name = archive.OBJECTS + row.key
        if not archive.DATA_PART.match(name):
            raise BackupError(f"stored file {row.id} has an unexpected object key {row.key!r}")
        try:
            part = writer.add(name, store_for(row.backend).get(row.key), backend=row.backend)
        except ObjectMissing as exc:
            raise BackupError(f"stored file {row.id} ({row.backend}:{row.key}) is missing from the object store "
                              f"({exc}); `vault storage check` tells more, or it was deleted while the backup "
                              "ran: run the backup again") from exc
        except StorageError as exc:
            raise BackupError(f"cannot read stored file {row.id} ({row.backend}:{row.key}): {exc}") from exc
        count += 1
        total += part["size"]
        progress("object", row.key, count)
    return count, total
