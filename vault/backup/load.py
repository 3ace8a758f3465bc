"""Restore a backup into an empty instance: check everything first, then write all or nothing.

1. The header: format and schema version this code can read; the target database and object store
   are empty (tables that migrations fill by themselves are not counted; their rows are replaced).
2. A full pass over the file: every part's SHA-256 against the manifest, the manifest's signature
   under the master key it names (this instance's keyring, or the keys sealed in the backup).
3. The database rows, in ONE transaction; the objects into the active store, each hashed while it is
   written; every object read back and hashed again; the audit chain verified; then the commit. Any
   failure rolls the rows back and deletes the objects (and a key file) this run wrote.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, delete, func, inspect, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from vault import audit
from vault.backup import archive, sealing
from vault.backup.rows import columns_of, decode
from vault import privatefile
from vault.crypto import Keyring, MasterKey
from vault.storage.base import StorageError

BATCH = 500


class RestoreError(Exception):
    pass


@dataclass
class Target:
    """Where the backup goes and how to reach this instance's keys."""
    engine: Engine
    metadata: MetaData
    store: object  # the active ObjectStore
    heads: set[str]  # newest schema revisions of this code
    known_revisions: set[str]  # every revision this code has a migration for
    upgrade: Callable[[str], None]  # create the schema at a revision (alembic)
    seeded_tables: Callable[[str], set[str]]  # tables a fresh migration to a revision fills by itself
    keyring: Callable[[], Keyring | None]  # None: no keys here (the key file does not exist)
    key_file: Path | None  # None: keys come from VAULT_MASTER_KEYS (nothing may write a key file)
    secret_key: str | None
    secret_file: Path


@dataclass
class RestoreResult:
    backup_id: str
    schema_revision: str
    tables: int = 0
    rows: int = 0
    objects: int = 0
    keys_from: str = ""  # "this instance" | "the backup (sealed)"
    wrote: list[str] = field(default_factory=list)  # key or secret files written
    warnings: list[str] = field(default_factory=list)
    audit_entries: int = 0


def _schema_state(engine: Engine, metadata: MetaData) -> tuple[str | None, set[str]]:
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
        present = set(inspect(conn).get_table_names()) & set(metadata.tables)
    return revision, present


def _non_empty(engine: Engine, metadata: MetaData, ignore: set[str]) -> list[str]:
    with engine.connect() as conn:
        return [t.name for t in metadata.sorted_tables
                if t.name not in ignore and conn.execute(select(1).select_from(t).limit(1)).first() is not None]


def check_target(target: Target, header: dict) -> tuple[bool, set[str]]:
    """Refuse unless this code reads the backup's schema and the target is empty.

    Returns (schema exists already, the seeded tables whose rows the restore replaces)."""
    revision = header.get("schema_revision")
    if revision not in target.heads:
        if revision in target.known_revisions:
            raise RestoreError(f"the backup is at schema revision {revision}, older than this code's "
                               f"{', '.join(sorted(target.heads))}: restore it with the trustvault version that "
                               "made it, then upgrade with `vault init`")
        raise RestoreError(f"the backup was made by a newer trustvault (schema revision {revision}, unknown "
                           f"here; this code's newest is {', '.join(sorted(target.heads))}): install that "
                           "version or a newer one to restore it")
    current, present = _schema_state(target.engine, target.metadata)
    if current is None and present:
        raise RestoreError(f"the database already has tables ({', '.join(sorted(present)[:5])} ...) but no "
                           "schema revision: restore into an empty database")
    if current is not None and current != revision:
        raise RestoreError(f"the database is at schema revision {current}, the backup at {revision}: "
                           "restore into an empty database")
    seeded: set[str] = set()
    if current is not None:
        seeded = target.seeded_tables(revision)
        busy = _non_empty(target.engine, target.metadata, seeded)
        if busy:
            raise RestoreError(f"the database is not empty: tables {', '.join(busy[:8])}"
                               f"{' ...' if len(busy) > 8 else ''} have rows. Restore only into a new, empty "
                               "database (create one, point VAULT_DATABASE_URL at it)")
    try:
        first = next(iter(target.store.keys()), None)
    except StorageError as exc:
        raise RestoreError(f"the object store cannot be listed: {exc}") from exc
    if first is not None:
        raise RestoreError(f"the object store ({target.store.name}) is not empty: it holds {first} and maybe more. "
                           "Restore only into an empty store (a new bucket or prefix, or an empty folder)")
    return current is not None, seeded


# --- keys -------------------------------------------------------------------------------------------

def _keyring_from_json(raw: str) -> Keyring:
    data = json.loads(raw)
    keys = {kid: MasterKey(kid, base64.b64decode(e["key"], validate=True), str(e.get("created_at", "")))
            for kid, e in data["keys"].items()}
    return Keyring(keys, data["active"])


def _mismatch(keyring: Keyring, header: dict, wanted: set[str]) -> list[str]:
    prints = header.get("key_fingerprints") or {}
    out = []
    for key_id in sorted(wanted):
        key = keyring.keys.get(key_id)
        if key is None:
            out.append(f"{key_id} is missing")
        elif not archive.same(archive.fingerprint(key.key), prints.get(key_id, "")):
            out.append(f"{key_id} is a different key")
    return out


@dataclass
class KeyChoice:
    keyring: Keyring | None = None
    source: str = ""
    sealed_payload: dict | None = None


def choose_keys(target: Target, header: dict, sealed: dict | None, manifest: dict,
                passphrase: Callable[[], str] | None, choice: KeyChoice) -> bytes:
    """The signing master key: from this instance's keyring when it holds every key the data needs,
    else from the sealed keys (asking for the passphrase). Refuses with what to do otherwise."""
    wanted = set(manifest.get("needed_keys") or []) | {header.get("signing_key")}
    here = target.keyring()
    where = "VAULT_MASTER_KEYS" if target.key_file is None else str(target.key_file)
    if here is not None:
        wrong = _mismatch(here, header, wanted)
        if not wrong:
            choice.keyring, choice.source = here, "this instance"
            return here.keys[header["signing_key"]].key
        if sealed is None:
            raise RestoreError(f"the master keys here ({where}) are not the ones the backup was made with: "
                               f"{'; '.join(wrong)}. Put the original key file in place (a fresh `vault init` "
                               "makes new keys, which protect nothing yet) or set VAULT_MASTER_KEYS to the old keys")
        raise RestoreError(f"this instance already has master keys ({where}) and they differ from the backup's "
                           f"({'; '.join(wrong)}); the sealed keys in the backup never replace keys. On a new "
                           f"instance they protect nothing yet: move {where} away and run the restore again")
    if sealed is None:
        raise RestoreError(f"this instance has no master keys ({where} does not exist) and the backup holds none "
                           f"(made without --with-keys): copy the key file the backup was made with to {where}, "
                           "or set VAULT_MASTER_KEYS")
    if passphrase is None:
        raise RestoreError("the backup's master keys are sealed with a passphrase: give it (--passphrase-file, "
                           "VAULT_BACKUP_PASSPHRASE or the prompt)")
    try:
        payload = json.loads(sealing.unseal(sealed, passphrase(), backup_id=header["backup_id"]))
        keyring = _keyring_from_json(payload["keyring"])
    except sealing.WrongPassphrase as exc:
        raise archive.ArchiveError(archive.SEALED_KEYS, str(exc)) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise archive.ArchiveError(archive.SEALED_KEYS, f"cannot be read: {exc}") from None
    wrong = _mismatch(keyring, header, wanted)
    if wrong:
        raise archive.ArchiveError(archive.SEALED_KEYS, f"do not match the header ({'; '.join(wrong)})")
    choice.keyring, choice.source, choice.sealed_payload = keyring, "the backup (sealed)", payload
    return keyring.keys[header["signing_key"]].key


# --- the restore --------------------------------------------------------------------------------------

def restore(path: Path, target: Target, *, passphrase: Callable[[], str] | None = None,
            actor: audit.Actor = audit.Actor("cli"), progress: Callable[[str, str, int], None] | None = None,
            verify_only: bool = False) -> RestoreResult:
    progress = progress or (lambda *_: None)
    state: dict = {}
    choice = KeyChoice()

    def on_header(header: dict) -> None:
        if not verify_only:
            state["schema_exists"], state["seeded"] = check_target(target, header)

    with open(path, "rb") as fh:
        verified = archive.verify(fh, on_header=on_header, signing_key=lambda h, s, m: choose_keys(
            target, h, s, m, passphrase, choice))
    header = verified.header
    result = RestoreResult(backup_id=header["backup_id"], schema_revision=header["schema_revision"],
                           keys_from=choice.source)
    if verify_only:
        result.tables, result.rows = verified.manifest.get("tables", 0), verified.manifest.get("rows", 0)
        result.objects = verified.manifest.get("objects", 0)
        return result
    if not state["schema_exists"]:
        target.upgrade(header["schema_revision"])
        state["seeded"] = set(_non_empty(target.engine, target.metadata, set()))
    written: list[str] = []
    files: list[Path] = []
    try:
        with open(path, "rb") as fh, target.engine.begin() as conn:
            tables_key = archive.table_key(choice.keyring.keys[header["signing_key"]].key, header["backup_id"])
            _load(conn, fh, verified, tables_key, target, state["seeded"], result, written, progress)
            _check_audit(conn, result, actor)
            _write_key_files(target, choice, result, files)
    except SQLAlchemyError as exc:
        _undo(target, written, files)
        raise RestoreError(f"the database refused the restore, all of it was rolled back: "
                           f"{getattr(exc, 'orig', None) or exc}") from exc
    except BaseException:
        _undo(target, written, files)
        raise
    _secret_warning(target, header, choice, result)
    return result


def _undo(target: Target, written: list[str], files: list[Path]) -> None:
    """The rows are rolled back by the transaction; the objects and key files this run wrote go here."""
    for key in written:
        with contextlib.suppress(StorageError):
            target.store.delete(key)
    for file in files:
        with contextlib.suppress(FileNotFoundError):
            file.unlink()


def _load(conn: Connection, fh, verified: archive.Verified, tables_key: bytes, target: Target, seeded: set[str],
          result: RestoreResult, written: list[str], progress) -> None:
    for name in sorted(seeded, key=lambda n: -target.metadata.sorted_tables.index(target.metadata.tables[n])):
        conn.execute(delete(target.metadata.tables[name]))  # rows migrations made; the backup has its own
    blobs = target.metadata.tables["stored_blobs"]
    objects: list[tuple[str, dict]] = []
    for part in archive.parts(fh, verified):
        if part.name.startswith(archive.DATABASE):
            result.rows += _load_table(conn, part, target, tables_key)
            result.tables += 1
            progress("table", part.entry.get("table", part.name), part.entry.get("rows", 0))
            continue
        key = part.name[len(archive.OBJECTS):]
        if conn.execute(select(blobs.c.id).where(blobs.c.key == key)).first() is None:
            raise archive.ArchiveError(part.name, "no stored file in the backup refers to this object")
        try:
            target.store.put(key, part.chunks())
        except StorageError as exc:
            raise RestoreError(f"cannot write {part.name} to the object store: {exc}") from exc
        written.append(key)
        objects.append((key, part.entry))
        progress("object", key, len(objects))
    rows = conn.scalar(select(func.count()).select_from(blobs))
    if rows != len(objects):
        raise archive.ArchiveError(archive.MANIFEST, f"the backup has {rows} stored files but {len(objects)} objects")
    for key, entry in objects:  # read back what the store kept
        digest, size = hashlib.sha256(), 0
        try:
            for chunk in target.store.get(key):
                digest.update(chunk)
                size += len(chunk)
        except StorageError as exc:
            raise RestoreError(f"object {key} cannot be read back from the store: {exc}") from exc
        if size != entry["size"] or not archive.same(digest.hexdigest(), entry["sha256"]):
            raise RestoreError(f"object {key} reads back differently from what was written (the store is faulty)")
    result.objects = len(objects)
    if conn.dialect.name == "postgresql":
        _reset_sequences(conn, target.metadata)


def _load_table(conn: Connection, part: archive.Part, target: Target, key: bytes) -> int:
    lines = archive.gunzip_lines(archive.decrypted(key, part.name, part.chunks()), part.name)
    try:
        head = json.loads(next(lines))
        table = target.metadata.tables[head["table"]]
    except (StopIteration, ValueError, KeyError, TypeError):
        raise archive.ArchiveError(part.name, "does not start with a known table's description") from None
    columns = columns_of(table)
    if head.get("columns") != columns:
        raise archive.ArchiveError(part.name, f"its columns differ from table {table.name} in this code")
    names = [name for name, _ in columns]
    kinds = [kind for _, kind in columns]
    # A row may point at a later row of its own table (a translation of a newer entry): such columns
    # are inserted empty and set once every row is in.
    self_refs = {fk.parent.name for fk in table.foreign_keys if fk.column.table is table and fk.parent.nullable}
    later: list[tuple[dict, dict]] = []
    pk = [c.name for c in table.primary_key.columns]
    batch: list[dict] = []
    count = 0
    for line in lines:
        try:
            values = json.loads(line)
            row = {name: decode(kind, value) for name, kind, value in zip(names, kinds, values, strict=True)}
        except (ValueError, TypeError) as exc:
            raise archive.ArchiveError(part.name, f"row {count + 1} cannot be read: {exc}") from None
        if table.name == "stored_blobs":
            row["backend"] = target.store.name  # every object goes to this instance's active store
        pending = {c: row[c] for c in self_refs if row[c] is not None}
        if pending:
            later.append(({c: row[c] for c in pk}, pending))
            row.update({c: None for c in pending})
        batch.append(row)
        count += 1
        if len(batch) >= BATCH:
            _insert(conn, table, batch, part.name)
            batch = []
    if batch:
        _insert(conn, table, batch, part.name)
    for key, values in later:
        conn.execute(update(table).where(*(table.c[c] == v for c, v in key.items())).values(**values))
    if count != part.entry.get("rows", count):
        raise archive.ArchiveError(part.name, f"has {count} rows, the manifest says {part.entry.get('rows')}")
    return count


def _insert(conn: Connection, table, rows: list[dict], part: str) -> None:
    try:
        conn.execute(table.insert(), rows)
    except SQLAlchemyError as exc:
        raise archive.ArchiveError(part, f"the database refused its rows: {getattr(exc, 'orig', None) or exc}") from exc


def _reset_sequences(conn: Connection, metadata: MetaData) -> None:
    """PostgreSQL hands out ids from sequences, which rows inserted with their ids do not advance."""
    for table in metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not pk[0].autoincrement or pk[0].type.python_type is not int:
            continue
        conn.execute(text(
            f'SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE(MAX("{pk[0].name}"), 0) + 1, false) '
            f'FROM "{table.name}"'), {"t": table.name, "c": pk[0].name})


def _check_audit(conn: Connection, result: RestoreResult, actor: audit.Actor) -> None:
    """Verify the restored trail (a broken one is restored as it is, and said) and append the restore."""
    with Session(bind=conn) as sess:
        report = audit.verify_chain(sess)
        result.audit_entries = report.count
        if not report.ok:
            result.warnings.append("the audit trail in the backup does not verify: " + "; ".join(report.problems[:3]))
        audit.record(sess, "backup.restore", by=actor, object_type="backup", object_id=result.backup_id,
                     detail={"tables": result.tables, "rows": result.rows, "objects": result.objects,
                             "schema_revision": result.schema_revision, "keys_from": result.keys_from})
        sess.flush()


def _write_key_files(target: Target, choice: KeyChoice, result: RestoreResult, files: list[Path]) -> None:
    """With sealed keys: write the key file (never over one) and the secret key if this instance has none."""
    payload = choice.sealed_payload
    if payload is None:
        return
    if target.key_file is None:
        result.warnings.append("the master keys come from VAULT_MASTER_KEYS here, so the backup's sealed keys "
                               "were only used to check the backup")
    else:
        # never over an existing file, so a failed restore removes only files it wrote
        privatefile.write_text(target.key_file, payload["keyring"], overwrite=False)
        files.append(target.key_file)
        result.wrote.append(str(target.key_file))
    secret = payload.get("secret_key")
    if secret and not target.secret_key and not target.secret_file.exists():
        privatefile.write_text(target.secret_file, secret, overwrite=False)
        files.append(target.secret_file)
        result.wrote.append(str(target.secret_file))


def _secret_warning(target: Target, header: dict, choice: KeyChoice, result: RestoreResult) -> None:
    expected = header.get("secret_key_fingerprint")
    if not expected:
        return
    if str(target.secret_file) in result.wrote:
        return
    if not target.secret_key:
        result.warnings.append(f"this instance has no secret key yet: put the backed-up instance's secret_key at "
                               f"{target.secret_file} (or run `vault init` for a new one: then unsubscribe links "
                               "already mailed stop working)")
    elif not archive.same(archive.fingerprint(target.secret_key.encode()), expected):
        result.warnings.append("the secret key here differs from the backed-up instance's: unsubscribe links already "
                               "mailed and look-ups of earlier disclosure reporters will not match until the old "
                               "secret_key is put in place")
