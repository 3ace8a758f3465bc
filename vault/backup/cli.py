"""`vault backup -o FILE` and `vault restore FILE` (docs/backup.md)."""
from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from vault import audit, db, migrate
from vault.backup import archive, dump, load, sealing
from vault.crypto import KeyringError
from vault.storage import get_keyring, get_store, keys_from_environment

PASSPHRASE_ENV = "VAULT_BACKUP_PASSPHRASE"
ACTOR = audit.Actor("cli")


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrate.alembic_config(current_app.config["DATABASE_URL"]))


def _passphrase(path: Path | None, *, confirm: bool) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV]
    return click.prompt("Passphrase for the master keys in the backup", hide_input=True,
                        confirmation_prompt=confirm)


def _progress(what: str, name: str, count: int) -> None:
    if what == "object" and count % 1000 == 0:  # a sign of life on large instances, not a line per file
        click.echo(f"  {count} stored files so far", err=True)


def _keys_message(keyring, needed: list[str]) -> str:
    where = "VAULT_MASTER_KEYS" if keys_from_environment() else current_app.config["MASTER_KEY_FILE"]
    secret = Path(current_app.instance_path) / "secret_key"
    return (f"The master keys are NOT in this backup. Keep them safe and apart from it: {where} "
            f"(keys {', '.join(sorted(keyring.keys))}; this backup needs {', '.join(needed) or 'none'}) and the "
            f"secret key ({secret} or VAULT_SECRET_KEY). Without the master keys the files and two-factor "
            "secrets in this backup cannot be read; `--with-keys` seals them into the backup with a passphrase.")


@click.command("backup")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The backup file to write (written to a temporary file, then renamed; mode 0600).")
@click.option("--with-keys", is_flag=True,
              help="Also put the master keys and the secret key in the backup, sealed with a passphrase.")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=f"Read the passphrase from this file (else {PASSPHRASE_ENV}, else a prompt).")
@click.option("--overwrite", is_flag=True, help="Replace FILE if it exists.")
@with_appcontext
def backup_command(output: Path, with_keys: bool, passphrase_file: Path | None, overwrite: bool) -> None:
    """Back up the database (one consistent snapshot) and every stored file into one signed archive."""
    db.require_initialised("stored_blobs")
    try:
        keyring = get_keyring()
    except KeyringError as exc:
        raise click.ClickException(str(exc)) from exc
    passphrase = None
    if with_keys:
        passphrase = _passphrase(passphrase_file, confirm=True)
        try:
            sealing.check_passphrase(passphrase)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    try:
        result = dump.write_backup(output, engine=db.engine(), metadata=db.Base.metadata,
                                   heads=set(_scripts().get_heads()), store_for=get_store, keyring=keyring,
                                   secret_key=current_app.config.get("SECRET_KEY"), passphrase=passphrase,
                                   overwrite=overwrite, progress=_progress)
    except (dump.BackupError, archive.ArchiveError, OSError) as exc:
        raise click.ClickException(f"backup failed, no file written: {exc}") from exc
    except SQLAlchemyError as exc:
        raise click.ClickException(f"backup failed, no file written: the database: "
                                   f"{getattr(exc, 'orig', None) or exc}") from exc
    sess = db.session()
    audit.record(sess, "backup.create", by=ACTOR, object_type="backup", object_id=result.backup_id,
                 detail={"sha256": result.sha256, "size": result.size, "tables": result.tables, "rows": result.rows,
                         "objects": result.objects, "with_keys": result.with_keys,
                         "schema_revision": result.schema_revision})
    sess.commit()
    click.echo(f"Backup {result.backup_id} written to {result.path}: {result.tables} tables, {result.rows} rows, "
               f"{result.objects} stored files ({result.object_bytes} bytes), schema {result.schema_revision}.")
    click.echo(f"SHA-256 of the file: {result.sha256}")
    if result.with_keys:
        click.echo("The master keys and the secret key are in the backup, sealed with your passphrase: "
                   "without the passphrase they cannot be opened; keep it apart from the backup.")
    else:
        click.echo(_keys_message(keyring, result.needed_keys))


@functools.lru_cache(maxsize=4)  # a few seconds of migrations: once per revision and process
def _seeded_tables(revision: str) -> frozenset[str]:
    """Tables a fresh migration fills by itself (default rows), found on a throw-away SQLite database."""
    from sqlalchemy import create_engine, inspect, select, table

    with tempfile.TemporaryDirectory(prefix="vault-restore-") as folder:
        url = f"sqlite:///{folder}/reference.db"
        migrate.upgrade(url, revision)
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                names = set(inspect(conn).get_table_names()) & set(db.Base.metadata.tables)
                return frozenset(n for n in names if conn.execute(select(1).select_from(table(n)).limit(1)).first())
        finally:
            engine.dispose()


def _target() -> load.Target:
    config = current_app.config
    key_file = None if keys_from_environment() else Path(config["MASTER_KEY_FILE"])

    def keyring():
        if key_file is not None and not key_file.exists():
            return None
        try:
            return get_keyring()
        except KeyringError as exc:
            raise click.ClickException(str(exc)) from exc

    scripts = _scripts()
    return load.Target(
        engine=db.engine(), metadata=db.Base.metadata, store=get_store(), heads=set(scripts.get_heads()),
        known_revisions={rev.revision for rev in scripts.walk_revisions()},
        upgrade=lambda revision: migrate.upgrade(config["DATABASE_URL"], revision),
        seeded_tables=_seeded_tables, keyring=keyring, key_file=key_file,
        secret_key=config.get("SECRET_KEY"), secret_file=Path(current_app.instance_path) / "secret_key")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=f"The passphrase of a backup made --with-keys (else {PASSPHRASE_ENV}, else a prompt).")
@click.option("--verify-only", is_flag=True, help="Check the whole file (hashes, signature, keys); write nothing.")
@with_appcontext
def restore_command(file: Path, passphrase_file: Path | None, verify_only: bool) -> None:
    """Restore a backup into this instance, which must be empty (a new database and an empty store)."""
    Path(current_app.instance_path).mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        result = load.restore(file, _target(), passphrase=lambda: _passphrase(passphrase_file, confirm=False),
                              actor=ACTOR, progress=_progress, verify_only=verify_only)
    except archive.ArchiveError as exc:
        raise click.ClickException(f"the backup cannot be used, nothing was restored: {exc}") from exc
    except (load.RestoreError, OSError) as exc:
        raise click.ClickException(f"nothing was restored: {exc}") from exc
    except SQLAlchemyError as exc:  # e.g. the database server cannot be reached
        raise click.ClickException(f"nothing was restored: the database: {getattr(exc, 'orig', None) or exc}") from exc
    if verify_only:
        click.echo(f"Backup {result.backup_id} is intact: every part matches its SHA-256 and the manifest's "
                   f"signature verifies with the master keys of {result.keys_from} ({result.tables} tables, "
                   f"{result.rows} rows, {result.objects} stored files, schema {result.schema_revision}).")
        return
    click.echo(f"Restored backup {result.backup_id}: {result.tables} tables, {result.rows} rows, "
               f"{result.objects} stored files into the {get_store().name} store, "
               f"{result.audit_entries} audit entries; master keys from {result.keys_from}.")
    for path in result.wrote:
        click.echo(f"Wrote {path} (mode 0600) from the sealed keys.")
    for line in result.warnings:
        click.echo(f"WARNING  {line}", err=True)
    click.echo("Next: `vault audit verify` and `vault storage check --deep`, then start the app "
               "(`vault init` is safe to run now: it adds only what is missing).")
