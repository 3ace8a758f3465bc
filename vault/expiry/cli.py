"""`vault remind` (one reminder run: cron it every few minutes) and `vault expiry list`."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import click
from flask.cli import with_appcontext

from vault import audit, db


def _parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(timezone.utc)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value), datetime.min.time())
        except ValueError:
            raise click.BadParameter(f"{value!r} is not an ISO date or time (e.g. 2026-03-01 or "
                                     "2026-03-01T09:00:00+00:00)", param_hint="--now") from None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


@click.command("remind")
@click.option("--now", "now_text", metavar="ISO", help="Run as if it were this time (UTC unless it says).")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send and record nothing.")
@click.option("--deliver", is_flag=True, help="Also send the queued messages now (otherwise `vault notify deliver`).")
@with_appcontext
def remind_command(now_text: str | None, dry_run: bool, deliver: bool) -> None:
    """Send due expiry reminders once. Safe to run every few minutes: each reminder goes out once."""
    from vault import notify
    from vault.expiry.reminders import remind_once

    now = _parse_now(now_text)
    sess = db.session()
    report = remind_once(sess, now, dry_run=dry_run)
    for d in report.due:
        o = d.obligation
        click.echo(f"{o.due_on.isoformat()}  {d.stage:<11} {o.kind:<17} {o.title}")
    for d in report.unaddressed:
        click.echo(f"no recipient: {d.obligation.kind} {d.obligation.title} ({d.stage})", err=True)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    click.echo(report.summary())
    if not dry_run and report.due:
        audit.record(sess, "expiry.remind", by=audit.Actor(label="cli"), object_type="expiry",
                     detail={"summary": report.summary(), "now": now.isoformat()})
        sess.commit()
    if deliver and not dry_run:
        result = notify.deliver_pending(sess)
        click.echo(f"delivered: sent {result.sent}, retrying {result.retrying}, failed {result.failed}")


expiry_cli = click.Group("expiry", help="The expiry timeline.")


@expiry_cli.command("list")
@click.option("--horizon", type=click.Choice(["overdue", "30", "60", "90"]), help="Overdue, or due within N days.")
@click.option("--type", "kind", help="Only this type (document_expiry, grant_expiry, library_review, ...).")
@click.option("--framework", help="Only this framework code (iso27001, soc2, ...).")
@click.option("--owner", help="Only this owner's email, or 'none'.")
@click.option("--now", "now_text", metavar="ISO", help="As if it were this day.")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def list_command(horizon, kind, framework, owner, now_text, as_json) -> None:
    """Every dated obligation, soonest first."""
    from sqlalchemy import select

    from vault.auth.models import User
    from vault.expiry import service
    from vault.expiry.obligations import Filters

    sess = db.session()
    owner_arg = ""
    if owner:
        if owner == "none":
            owner_arg = "none"
        else:
            user = sess.scalar(select(User).where(User.email == owner.strip().lower()))
            if user is None:
                raise click.BadParameter(f"no user with the email {owner!r}", param_hint="--owner")
            owner_arg = str(user.id)
    today = _parse_now(now_text).date()
    items, collected = service.timeline(sess, today, Filters(horizon=horizon or "", kind=kind or "",
                                                            owner=owner_arg, framework=framework or ""))
    for name, error in collected.errors.items():
        click.echo(f"provider {name} failed: {error}", err=True)
    if as_json:
        click.echo(json.dumps([{"key": o.key, "kind": o.kind, "title": o.title, "due_on": o.due_on.isoformat(),
                                "days_left": o.days_left(today), "owner": o.owner_email or None,
                                "frameworks": list(o.frameworks), "detail": str(o.detail or "")}
                               for o in items], ensure_ascii=False, indent=1))
        return
    for o in items:
        left = o.days_left(today)
        when = f"overdue {-left}d" if o.is_overdue(today) else f"in {left}d"
        click.echo(f"{o.due_on.isoformat()}  {when:<13} {o.kind:<17} {o.title}  [{o.owner_email or '-'}]")
    click.echo(f"{len(items)} of {len(collected.obligations)} dates")
