"""`vault api-token create|list|revoke`: personal API tokens from the command line."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from vault import db
from vault.api import tokens
from vault.auth import service as accounts
from vault.auth.cli import cli_actor
from vault.inputs import InvalidInput, normalise_email

api_token_cli = click.Group("api-token", help="Personal API tokens for the REST API (docs/api.md).")


@api_token_cli.command("create")
@click.argument("email")
@click.option("--scope", required=True, type=click.Choice(list(tokens.SCOPES)), help="What the token may do.")
@click.option("--days", type=click.IntRange(1, tokens.MAX_DAYS), default=tokens.DEFAULT_DAYS, show_default=True,
              help="Days until it expires.")
@click.option("--name", default="", help="A name to recognise it by.")
@with_appcontext
def create_command(email: str, scope: str, days: int, name: str) -> None:
    """Make a token for EMAIL and print it alone (it is shown only this once)."""
    sess = db.session()
    user = accounts.find_by_email(sess, email)
    if user is None:
        raise click.ClickException(f"No account with the email {normalise_email(email)}.")
    try:
        made = tokens.create_token(sess, user, scope=scope, days=days, name=name, by=cli_actor())
    except InvalidInput as exc:
        sess.rollback()
        raise click.ClickException(str(exc)) from exc
    sess.commit()
    click.echo(made.secret)


@api_token_cli.command("list")
@click.option("--email", default=None, help="Only this account's tokens.")
@with_appcontext
def list_command(email: str | None) -> None:
    """Tokens (never their secret): id, owner, scope, state, expiry, last use."""
    sess = db.session()
    user = None
    if email:
        user = accounts.find_by_email(sess, email)
        if user is None:
            raise click.ClickException(f"No account with the email {normalise_email(email)}.")
    from vault.db import utcnow
    now = utcnow()
    for row in tokens.list_tokens(sess, user):
        state = "revoked" if row.revoked_at else "expired" if row.expires_at <= now else "active"
        used = row.last_used_at.isoformat(timespec="seconds") if row.last_used_at else "never"
        click.echo(f"{row.uid}  {row.user.email}  {row.scope}  {state}  expires {row.expires_at.date()}  "
                   f"last used {used}  {row.hint}…  {row.name}")


@api_token_cli.command("revoke")
@click.argument("token_id")
@with_appcontext
def revoke_command(token_id: str) -> None:
    """Revoke a token by its id (from `list`); it stops working at once."""
    sess = db.session()
    row = tokens.get_token(sess, token_id)
    if row is None:
        raise click.ClickException(f"No API token with the id {token_id}.")
    if not tokens.revoke_token(sess, row, by=cli_actor()):
        raise click.ClickException(f"API token {token_id} was already revoked.")
    sess.commit()
    click.echo(f"revoked {row.uid} ({row.user.email}, {row.scope})")
