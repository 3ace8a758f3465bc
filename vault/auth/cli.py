"""`vault users ...`: staff accounts from the command line (first admin, recovery)."""
from __future__ import annotations

import getpass

import click
from flask.cli import with_appcontext

from vault import db
from vault.audit import Actor
from vault.auth import service
from vault.auth.roles import Role
from vault.inputs import normalise_email

users_cli = click.Group("users", help="Staff accounts.")


def cli_actor() -> Actor:
    """Who runs a command: the operating-system login name (there is no signed-in user)."""
    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 (no login name in some containers)
        who = "unknown"
    return Actor(label=f"cli:{who}")


def _user(sess, email: str):
    user = service.find_by_email(sess, email)
    if user is None:
        raise click.ClickException(f"No account with the email {normalise_email(email)}.")
    return user


def _apply(change, email: str, done: str) -> None:
    sess = db.session()
    user = _user(sess, email)
    try:
        change(sess, user)
    except service.AccountError as exc:
        sess.rollback()
        raise click.ClickException(str(exc)) from exc
    sess.commit()
    click.echo(done.format(email=user.email))


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="The account's role.")
@click.option("--name", default="", help="Display name.")
@click.option("--password", default=None, envvar="VAULT_NEW_USER_PASSWORD",
              help="Initial password (or VAULT_NEW_USER_PASSWORD); prompted for when absent.")
@with_appcontext
def create_command(email: str, role: str, name: str, password: str | None) -> None:
    """Create a staff account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    sess = db.session()
    try:
        user = service.create_user(sess, email=email, password=password, role=role, name=name, actor=cli_actor())
    except service.AccountError as exc:
        sess.rollback()
        raise click.ClickException(str(exc)) from exc
    sess.commit()
    click.echo(f"Created {user.role} account {user.email}.")


@users_cli.command("list")
@with_appcontext
def list_command() -> None:
    """List staff accounts."""
    users = service.list_users(db.session())
    if not users:
        click.echo("No accounts yet.")
        return
    width = max(len(u.email) for u in users)
    click.echo(f"{'email':<{width}}  {'role':<8}  {'status':<8}  {'2fa':<3}  last sign-in")
    for u in users:
        last = u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "never"
        click.echo(f"{u.email:<{width}}  {u.role:<8}  {'active' if u.active else 'disabled':<8}  "
                   f"{'on' if u.totp_enabled else 'off':<3}  {last}")


@users_cli.command("disable")
@click.argument("email")
@with_appcontext
def disable_command(email: str) -> None:
    """Disable an account and end its sessions."""
    _apply(lambda s, u: service.set_active(s, u, False, actor=cli_actor()), email,
           "Disabled {email}; their sessions are ended.")


@users_cli.command("enable")
@click.argument("email")
@with_appcontext
def enable_command(email: str) -> None:
    """Enable a disabled account."""
    _apply(lambda s, u: service.set_active(s, u, True, actor=cli_actor()), email, "Enabled {email}.")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@with_appcontext
def set_role_command(email: str, role: str) -> None:
    """Change an account's role."""
    _apply(lambda s, u: service.set_role(s, u, role, actor=cli_actor()), email, f"{{email}} is now {role}.")


@users_cli.command("reset-2fa")
@click.argument("email")
@with_appcontext
def reset_2fa_command(email: str) -> None:
    """Remove an account's two-factor sign-in (lost phone); they set it up again."""
    _apply(lambda s, u: service.reset_totp(s, u, actor=cli_actor()), email, "Two-factor sign-in of {email} is removed.")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password", default=None, envvar="VAULT_NEW_USER_PASSWORD",
              help="The new password (or VAULT_NEW_USER_PASSWORD); prompted for when absent.")
@with_appcontext
def set_password_command(email: str, password: str | None) -> None:
    """Set a new password for an account and end its sessions."""
    if password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    _apply(lambda s, u: service.set_password(s, u, new=password, actor=cli_actor()), email,
           "Password of {email} is set; their sessions are ended.")
