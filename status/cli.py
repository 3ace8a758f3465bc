"""`vault status ...`: the periodic work (status/jobs.py; the job queue runs it every 5 minutes, or a cron
calls these commands) and a few set-up commands.

    */5 * * * *  vault status run-maintenance
    */5 * * * *  vault status remind-overdue-updates
"""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from status import jobs, push, service
from status.service import StatusError
from vault import audit, db

status_cli = click.Group("status", help="Service status page: components, maintenance jobs, push tokens.")


@status_cli.command("run-maintenance")
@with_appcontext
def run_maintenance_command() -> None:
    """Start due maintenance windows and complete finished ones."""
    sess = db.session()
    done = jobs.run_maintenance(sess)
    sess.commit()
    for m, action in done:
        click.echo(f"{action}: {m.title_en or m.title_zh} ({m.uid})")
    click.echo(f"{len(done)} maintenance window(s) changed.")


@status_cli.command("remind-overdue-updates")
@with_appcontext
def remind_overdue_command() -> None:
    """Remind staff of incidents whose promised update time has passed without an update."""
    sess = db.session()
    reminded = jobs.remind_overdue(sess)
    sess.commit()
    for i in reminded:
        click.echo(f"overdue: {i.title_en or i.title_zh} ({i.uid}), promised {i.next_update_at:%Y-%m-%d %H:%M} UTC")
    click.echo(f"{len(reminded)} reminder(s) queued.")


@status_cli.command("add-component")
@click.argument("key")
@click.option("--name", "name_en", default="", help="English name.")
@click.option("--name-zh", default="", help="Chinese name, e.g. 华东.")
@click.option("--description", default="")
@with_appcontext
def add_component_command(key: str, name_en: str, name_zh: str, description: str) -> None:
    """Add a component (KEY is what monitoring systems use, e.g. cn-east)."""
    sess = db.session()
    try:
        c = service.create_component(sess, key=key, name_en=name_en or key, name_zh=name_zh, description=description,
                                     now=service.clock(), actor="cli")
    except StatusError as exc:
        raise click.ClickException(str(exc)) from exc
    audit.record(sess, "status.component.create", actor="cli", object_type="status_component", object_id=c.uid,
                 detail={"key": c.key})
    sess.commit()
    click.echo(f"Added {c.key} ({c.uid}).")


@status_cli.command("create-token")
@click.argument("name")
@click.option("--component", "keys", multiple=True, help="Component key it may change (repeatable).")
@click.option("--all-components", is_flag=True, help="May change every component.")
@click.option("--open-incidents", is_flag=True, help="May open draft incidents.")
@with_appcontext
def create_token_command(name: str, keys: tuple[str, ...], all_components: bool, open_incidents: bool) -> None:
    """Create a push token for a monitoring system; it is printed once."""
    sess = db.session()
    ids = []
    for key in keys:
        c = service.component_by_key(sess, key)
        if c is None:
            raise click.ClickException(f"No component with the key {key!r}.")
        ids.append(c.id)
    try:
        token, raw = push.create_token(sess, name=name, component_ids=ids, all_components=all_components,
                                       may_open_incidents=open_incidents, actor="cli", now=service.clock())
    except StatusError as exc:
        raise click.ClickException(str(exc)) from exc
    audit.record(sess, "status.token.create", actor="cli", object_type="status_push_token", object_id=token.uid)
    sess.commit()
    click.echo(raw)


@status_cli.command("revoke-token")
@click.argument("uid")
@with_appcontext
def revoke_token_command(uid: str) -> None:
    """Revoke a push token by its id (shown in the staff pages)."""
    sess = db.session()
    token = push.get_token(sess, uid)
    if token is None:
        raise click.ClickException(f"No token with the id {uid!r}.")
    push.revoke_token(sess, token, now=service.clock())
    audit.record(sess, "status.token.revoke", actor="cli", object_type="status_push_token", object_id=uid)
    sess.commit()
    click.echo(f"Revoked {token.name}.")
