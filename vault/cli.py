"""The `vault` command: a Flask CLI group. Each part adds its own commands (`vault.features`)."""
from __future__ import annotations

import click
from flask.cli import FlaskGroup


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
