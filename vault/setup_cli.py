"""`vault init` and `vault demo`."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


def _write_private(path: Path, text: str) -> None:
    """Create a file readable by the owner only (mode set at creation, no window of exposure)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


@click.command("init")
@click.option("--no-input", is_flag=True, help="Never prompt (for scripts).")
@click.option("--admin-email", default=None, help="Create the first admin with this email.")
@click.option("--admin-password", default=None, envvar="VAULT_ADMIN_PASSWORD",
              help="Password for the first admin (or VAULT_ADMIN_PASSWORD).")
@with_appcontext
def init_command(no_input: bool, admin_email: str | None, admin_password: str | None) -> None:
    """Create the instance folder, keys and database; safe to run again."""
    from sqlalchemy import func, select

    from vault import crypto, db, migrate
    from vault.auth import service as auth_service
    from vault.auth.models import User
    from vault.storage import get_keyring, keys_from_environment

    app = current_app
    inst = Path(app.instance_path)
    inst.mkdir(parents=True, exist_ok=True)
    os.chmod(inst, 0o700)
    secret_file = inst / "secret_key"
    if not secret_file.exists():
        _write_private(secret_file, secrets.token_hex(32))
        click.echo(f"Created secret key: {secret_file}")
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or secret_file.read_text().strip()
    if keys_from_environment():
        click.echo("Master encryption keys come from VAULT_MASTER_KEYS; no key file is written.")
    elif crypto.create_keyring_file(Path(app.config["MASTER_KEY_FILE"])):
        click.echo(f"Created master encryption key: {app.config['MASTER_KEY_FILE']}")
    if app.config["STORAGE"] == "local":
        Path(app.config["STORAGE_PATH"]).mkdir(parents=True, exist_ok=True)
    migrate.upgrade(app.config["DATABASE_URL"])
    click.echo("Database is at the latest migration.")

    sess = db.session()
    # Upgrading from a release that stored two-factor seeds in plaintext: seal them now.
    try:
        sealed = auth_service.reseal_totp_secrets(sess, get_keyring())
    except crypto.KeyringError as exc:
        raise click.ClickException(str(exc)) from exc
    sess.commit()
    if sealed.resealed:
        click.echo(f"Sealed {sealed.resealed} two-factor secrets with the active master key.")
    for line in sealed.failures:
        click.echo(f"Could not seal a two-factor secret: {line}", err=True)
    from vault.watermark import precut
    click.echo(precut.warm()[1])  # the first watermarked Chinese names would otherwise build it
    # The matching index (with its sentence vectors) is brought up to date now, at install or upgrade
    # time, rather than in the first questionnaire request after it.
    from answers.library.index import app_index
    click.echo(f"Matching index: {len(app_index().sync(sess))} library entries.")
    admins = sess.scalar(select(func.count()).select_from(User).where(User.role == "admin"))
    if admins:
        return
    if not admin_email and not no_input:
        admin_email = click.prompt("First admin's email")
    if admin_email:
        if not admin_password:
            if no_input:
                raise click.UsageError("--admin-password (or VAULT_ADMIN_PASSWORD) is needed with --no-input")
            admin_password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            auth_service.create_user(sess, email=admin_email, password=admin_password, role="admin",
                                     name="Administrator", actor="vault init")
        except auth_service.AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        sess.commit()
        click.echo(f"Created admin account {admin_email}.")
    else:
        click.echo("No admin account yet: run `vault users create --role admin EMAIL`.")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load realistic demo data: documents, an answer library, status components (idempotent)."""
    from datetime import date

    from answers.library.demo import load_demo_library
    from status.demo import load_demo_status
    from vault import db
    from vault.db import utcnow
    from vault.demo import load_demo, load_demo_trust_reports

    sess = db.session()
    documents = load_demo(sess)
    sess.commit()
    entries = load_demo_library(sess, date.today())
    components = load_demo_status(sess, utcnow())
    sess.commit()
    load_demo_trust_reports(sess)
    sess.commit()
    click.echo(f"Demo data loaded: {documents} new documents, {entries} library entries, "
               f"{components} status components.")
