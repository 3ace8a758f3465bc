"""`vault engagement purge`: delete visits older than the retention (ENGAGEMENT_RETENTION_DAYS, 400).

The same function the daily `engagement.purge` job runs (vault/engagement/jobs.py); a cron or a systemd
timer may call this instead (docs/engagement.md)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from vault import audit, db

engagement_cli = AppGroup("engagement", help="Trust center engagement (visits).")


@engagement_cli.command("purge")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Keep this many days of visits (default: ENGAGEMENT_RETENTION_DAYS, 400).")
def purge_command(days: int | None) -> None:
    """Delete visits older than the retention, and company links left without a visit."""
    from vault.db import utcnow
    from vault.engagement import jobs, service

    db.require_initialised("engagement_visits")
    keep = days or int(current_app.config.get("ENGAGEMENT_RETENTION_DAYS", service.RETENTION_DAYS))
    sess = db.session()
    visits, links = jobs.purge_and_record(sess, now=utcnow(), days=keep, by=audit.Actor(label="cli"))
    sess.commit()
    click.echo(f"Deleted {visits} visits older than {keep} days and {links} company links.")
