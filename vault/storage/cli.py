"""`vault keys ...` (master key rotation) and `vault storage check`.

The master keys protect stored files (wrapped data keys) and two-factor secrets (sealed seeds):
rotate/rewrap re-protects both under the active key, and retire refuses while either uses a key.
"""
from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from vault import audit, db
from vault.crypto import KeyringError
from vault.auth import service as auth_service
from vault.integrations import service as integrations_service
from vault.storage import get_keyring, keys_from_environment
from vault.storage import service

keys_cli = click.Group("keys", help="Master encryption keys.")
storage_cli = click.Group("storage", help="The object store.")

ACTOR = "cli"


def _keyring_path() -> str:
    return current_app.config["MASTER_KEY_FILE"]


# What to do instead, when VAULT_MASTER_KEYS holds the keys and no command may change them.
ENV_HINTS = {
    "add": "add `kN:<base64 key>` (e.g. from `openssl rand -base64 32`) to the end of VAULT_MASTER_KEYS "
           "in your secret manager and restart",
    "rotate": "put the new key first in VAULT_MASTER_KEYS (or name it in VAULT_ACTIVE_KEY), restart every "
              "process, then run `vault keys rewrap`",
    "retire": "run `vault keys rewrap`, check that `vault keys status` shows the key unused, then remove it "
              "from VAULT_MASTER_KEYS and restart",
}


def _refuse_with_env_keys(command: str) -> None:
    if keys_from_environment():
        raise click.ClickException(f"the master keys come from VAULT_MASTER_KEYS, so `vault keys {command}` "
                                   f"cannot change them: {ENV_HINTS[command]}")


def _source() -> str:
    return "VAULT_MASTER_KEYS" if keys_from_environment() else "the key file"


def _keyring_or_fail():
    try:
        return get_keyring()
    except KeyringError as exc:
        raise click.ClickException(str(exc)) from exc


def _rewrap_all(batch_size: int) -> tuple[int, list[str]]:
    """Rewrap in committed batches, so an interrupted run keeps its progress (`vault keys rewrap` resumes)."""
    sess = db.session()
    keyring = _keyring_or_fail()
    after, total, failures = 0, 0, []
    while True:
        batch = service.rewrap_batch(sess, keyring, after_id=after, batch_size=batch_size)
        sess.commit()
        if batch.last_id is None:
            return total, failures
        after = batch.last_id
        total += batch.rewrapped
        failures += batch.failures
        click.echo(f"  rewrapped {total} so far")


def _report_rewrap(action: str, total: int, failures: list[str], detail: dict) -> None:
    """Re-seal the two-factor secrets too, then audit and report both."""
    sess = db.session()
    sealed = auth_service.reseal_totp_secrets(sess, _keyring_or_fail())
    integrations = integrations_service.reseal_all(sess, _keyring_or_fail())  # CRM tokens, chat URLs
    sess.commit()
    for line in integrations.failures[:50]:
        click.echo(f"  {line} (enter it again on the integrations page)", err=True)
    outcome = "failed" if failures or sealed.failures else "ok"
    audit.record(sess, action, actor=ACTOR, object_type="keyring", object_id=get_keyring().active,
                 outcome=outcome, detail={**detail, "rewrapped": total, "failures": len(failures),
                                          "totp_resealed": sealed.resealed, "totp_failures": len(sealed.failures)})
    sess.commit()
    click.echo(f"Rewrapped {total} stored files under {get_keyring().active}.")
    click.echo(f"Re-sealed {sealed.resealed} two-factor secrets under {get_keyring().active}.")
    for line in (failures + sealed.failures)[:50]:
        click.echo(f"  {line}", err=True)
    if failures:
        raise click.ClickException(f"{len(failures)} stored files could not be rewrapped (see above; "
                                   "`vault storage check --deep` tells more)")
    if sealed.failures:
        raise click.ClickException(f"{len(sealed.failures)} two-factor secrets could not be re-sealed (see "
                                   "above); those users cannot sign in with them: `vault users reset-2fa`")


@keys_cli.command("status")
@with_appcontext
def keys_status() -> None:
    """List master keys, the active one, and how many files and two-factor secrets each protects."""
    keyring = _keyring_or_fail()
    sess = db.session()
    usage, sealed = service.key_usage(sess), auth_service.totp_key_usage(sess)
    unsealed = sealed.pop(None, 0)
    click.echo(f"Master keys from {_source()}.")
    for key in sorted(keyring.keys.values(), key=lambda k: int(k.id[1:])):
        mark = "active" if key.id == keyring.active else "      "
        click.echo(f"{key.id:>6}  {mark}  created {key.created_at or '?'}  wraps {usage.get(key.id, 0)} files, "
                   f"seals {sealed.get(key.id, 0)} two-factor secrets")
    for key_id in sorted((set(usage) | set(sealed)) - set(keyring.keys)):
        click.echo(f"{key_id:>6}  MISSING from {_source()}, wraps {usage.get(key_id, 0)} files, "
                   f"seals {sealed.get(key_id, 0)} two-factor secrets", err=True)
    if unsealed:
        click.echo(f"{unsealed} two-factor secrets are not sealed yet (stored before sealing existed): "
                   "run `vault keys rewrap`", err=True)


@keys_cli.command("add")
@with_appcontext
def keys_add() -> None:
    """Add a master key without using it yet (several hosts: copy the key file, then `rotate --to`)."""
    _refuse_with_env_keys("add")
    _keyring_or_fail()
    new_id = service.add_master_key(_keyring_path())
    sess = db.session()
    audit.record(sess, "keys.add", actor=ACTOR, object_type="keyring", object_id=new_id)
    sess.commit()
    click.echo(f"Added master key {new_id} (not active). Copy {_keyring_path()} to every host, "
               f"then run `vault keys rotate --to {new_id}`.")


@keys_cli.command("rotate")
@click.option("--to", "to", default=None, metavar="KEY_ID", help="Activate this existing key instead of a new one.")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000))
@with_appcontext
def keys_rotate(to: str | None, batch_size: int) -> None:
    """Make a new master key active and rewrap every file's data key with it.

    Stored objects are not rewritten. The old key stays in the key file until `vault keys retire`.
    With several hosts, use `vault keys add` first so every host can read the new key.
    Two-factor secrets are re-sealed under the new key in the same run.
    """
    _refuse_with_env_keys("rotate")
    previous = _keyring_or_fail().active
    try:
        new_id = service.rotate_master_key(_keyring_path(), to=to)
    except KeyringError as exc:
        raise click.ClickException(str(exc)) from exc
    sess = db.session()
    audit.record(sess, "keys.rotate", actor=ACTOR, object_type="keyring", object_id=new_id,
                 detail={"previous": previous})
    sess.commit()
    click.echo(f"Active master key is now {new_id} (was {previous}).")
    total, failures = _rewrap_all(batch_size)
    _report_rewrap("keys.rewrap", total, failures, {"previous": previous})


@keys_cli.command("rewrap")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000))
@with_appcontext
def keys_rewrap(batch_size: int) -> None:
    """Rewrap the files and re-seal the two-factor secrets still under an older key (or not sealed yet).

    Finishes an interrupted rotation; with VAULT_MASTER_KEYS, run it after changing the active key.
    """
    total, failures = _rewrap_all(batch_size)
    _report_rewrap("keys.rewrap", total, failures, {})


@keys_cli.command("retire")
@click.argument("key_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def keys_retire(key_id: str, yes: bool) -> None:
    """Delete an old master key from the key file (refused while any file or two-factor secret uses it)."""
    _refuse_with_env_keys("retire")
    keyring = _keyring_or_fail()
    if key_id not in keyring.keys:
        raise click.ClickException(f"there is no key {key_id!r} in {_keyring_path()}")
    if key_id == keyring.active:
        raise click.ClickException(f"{key_id} is the active key; run `vault keys rotate` first")
    sealed = auth_service.totp_key_usage(db.session()).get(key_id, 0)
    if sealed:
        raise click.ClickException(f"{sealed} two-factor secrets are still sealed by {key_id}; "
                                   "run `vault keys rewrap` first")
    in_use = integrations_service.key_usage(db.session()).get(key_id, 0)
    if in_use:
        raise click.ClickException(f"{in_use} integration secrets are still sealed by {key_id}; "
                                   "run `vault keys rewrap` first")
    if not yes:
        click.confirm(f"Delete master key {key_id} for good? Database backups made before the rotation "
                      "will no longer decrypt", abort=True)
    sess = db.session()
    try:
        service.retire_master_key(sess, _keyring_path(), key_id)
    except (service.KeyInUse, KeyringError) as exc:
        raise click.ClickException(str(exc)) from exc
    audit.record(sess, "keys.retire", actor=ACTOR, object_type="keyring", object_id=key_id)
    sess.commit()
    click.echo(f"Retired master key {key_id}.")


@storage_cli.command("check")
@click.option("--deep", is_flag=True, help="Also decrypt every file and verify its checksum (reads everything).")
@click.option("--delete-orphans", is_flag=True, help="Delete stored objects that no record refers to.")
@click.option("--grace-minutes", default=60, show_default=True, type=click.IntRange(1),
              help="Objects younger than this are never called orphans (uploads in progress).")
@click.option("--yes", is_flag=True, help="Delete orphans without asking.")
@with_appcontext
def storage_check(deep: bool, delete_orphans: bool, grace_minutes: int, yes: bool) -> None:
    """Check that every stored file exists and is readable; exit status 1 if any is at risk."""
    sess = db.session()
    grace = timedelta(minutes=grace_minutes)
    report = service.check_storage(sess, keyring_path=None if keys_from_environment() else _keyring_path(),
                                   deep=deep, grace=grace)
    if delete_orphans and report.orphans:
        for line in report.orphans:
            click.echo(f"ORPHAN   {line}")
        if yes or click.confirm(f"Delete these {len(report.orphans)} objects that no record refers to?"):
            report.deleted_orphans = service.remove_orphans(sess, report.orphans, grace=grace)
            report.orphans = [o for o in report.orphans if o not in report.deleted_orphans]
    sess.rollback()  # the check only reads; start the audit write on a fresh transaction
    for line in report.errors:
        click.echo(f"ERROR    {line}", err=True)
    for line in report.missing:
        click.echo(f"MISSING  {line}", err=True)
    for line in report.corrupt:
        click.echo(f"CORRUPT  {line}", err=True)
    for key_id, count in sorted(report.unknown_keys.items()):
        click.echo(f"NOKEY    {count} files are wrapped by master key {key_id}, which is not in the key file",
                   err=True)
    if not delete_orphans:
        for line in report.orphans:
            click.echo(f"ORPHAN   {line} (no record; `--delete-orphans` removes it)")
    for line in report.deleted_orphans:
        click.echo(f"DELETED  {line} (orphan)")
    if report.recent_orphans:
        click.echo(f"{len(report.recent_orphans)} recent objects without a record were left alone "
                   "(uploads in progress?)")
    summary = (f"{report.blobs} stored files, {len(report.missing)} missing, "
               f"{sum(report.unknown_keys.values())} without key"
               + (f", {report.verified} decrypted and verified, {len(report.corrupt)} corrupt" if deep else "")
               + f", {len(report.orphans) + len(report.deleted_orphans)} orphans")
    audit.record(sess, "storage.check", actor=ACTOR, object_type="storage", object_id=current_app.config["STORAGE"],
                 outcome="ok" if report.ok else "failed",
                 detail={"blobs": report.blobs, "missing": len(report.missing), "corrupt": len(report.corrupt),
                         "unknown_keys": report.unknown_keys, "errors": len(report.errors), "deep": deep,
                         "orphans": len(report.orphans), "deleted_orphans": len(report.deleted_orphans)})
    sess.commit()
    if not report.ok:
        raise click.ClickException(f"storage check failed: {summary}")
    click.echo(f"Storage OK: {summary}.")
