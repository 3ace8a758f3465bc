"""The `vault` command: a Flask CLI group. Each feature adds its own commands from its cli.py."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def register(app: Flask) -> None:
    from vault.setup_cli import demo_command, init_command
    from vault.auth.cli import users_cli
    from vault.admin.cli import audit_cli
    from vault.storage.cli import keys_cli, storage_cli
    from vault.documents.cli import documents_cli
    from answers.cli import autofill_command, library_cli
    from vault.access.cli import trace_command

    for cmd in (init_command, demo_command, users_cli, audit_cli, keys_cli, storage_cli, documents_cli,
                library_cli, autofill_command, trace_command):
        app.cli.add_command(cmd)
    from vault.notify.cli import notify_cli
    app.cli.add_command(notify_cli)
    from vault.expiry.cli import expiry_cli, remind_command; app.cli.add_command(remind_command); app.cli.add_command(expiry_cli)
    from status.cli import status_cli; app.cli.add_command(status_cli)


def _create_app():
    from vault import create_app
    from vault.crypto import KeyringError
    try:
        return create_app()
    except KeyringError as exc:  # e.g. a malformed VAULT_MASTER_KEYS: one clear line, no traceback
        raise click.ClickException(str(exc)) from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """trustvault: compliance evidence vault and trust center."""
