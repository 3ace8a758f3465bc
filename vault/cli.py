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

    for cmd in (init_command, demo_command, users_cli, audit_cli, keys_cli, storage_cli, documents_cli,
                library_cli, autofill_command):
        app.cli.add_command(cmd)


def _create_app():
    from vault import create_app
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """trustvault: compliance evidence vault and trust center."""
