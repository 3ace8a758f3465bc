"""`vault notify ...`: deliver the queue (cron), purge old rows (cron), send a test message, list deliveries."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from vault import audit, db
from vault.notify import service
from vault.notify.channels import CHANNELS, CRM_CHANNELS, SIGNED_CHANNELS
from vault.notify.channels.base import Message

notify_cli = click.Group("notify", help="Notifications: email and webhooks.")


def _cli_actor() -> audit.Actor:
    from vault.auth.cli import cli_actor
    return cli_actor()


@notify_cli.command("deliver")
@click.option("--limit", default=500, show_default=True, help="Most messages to send in this run.")
@with_appcontext
def deliver_command(limit: int) -> None:
    """Send queued and due messages; run it from cron every minute. Exits 1 if any failed for good."""
    report = service.deliver_pending(db.session(), limit=limit)
    click.echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")
    if report.failed:
        sys.exit(1)


@notify_cli.command("purge")
@click.option("--older-than", "older_than", type=click.IntRange(min=1), default=None, metavar="DAYS",
              help="Delete sent messages older than DAYS (default NOTIFY_RETENTION_SENT_DAYS, 30).")
@click.option("--dead-older-than", "dead_older_than", type=click.IntRange(min=1), default=None, metavar="DAYS",
              help="Delete failed (dead) messages older than DAYS (default NOTIFY_RETENTION_DEAD_DAYS, 180).")
@with_appcontext
def purge_command(older_than: int | None, dead_older_than: int | None) -> None:
    """Delete old sent and failed messages; run it from cron once a day. Queued and retrying
    messages are never deleted, and a message with a dedupe key is kept at least 7 days. Audited."""
    sess = db.session()
    report = service.purge_and_record(sess, actor=_cli_actor().label, sent_days=older_than, dead_days=dead_older_than)
    sess.commit()
    click.echo(f"deleted {report.sent} sent (before {report.sent_before:%Y-%m-%d}) and {report.dead} failed "
               f"(before {report.dead_before:%Y-%m-%d}) notifications")


@notify_cli.command("test")
@click.argument("channel", type=click.Choice(sorted(set(CHANNELS) - CRM_CHANNELS)))  # CRMs: the integrations page
@click.argument("target")
@click.option("--secret", default=None, help="Signing secret (webhook, dingtalk, feishu).")
@with_appcontext
def test_command(channel: str, target: str, secret: str | None) -> None:
    """Send a test message to TARGET (an email address or webhook URL) now, and say what happened."""
    if secret and channel not in SIGNED_CHANNELS:
        raise click.UsageError(f"{channel} takes no --secret")
    sess = db.session()
    message = Message(subject="trustvault test notification",
                      text="If you can read this, notifications reach you from trustvault.",
                      data={"type": "notify.test"})
    try:
        row = service.send(sess, channel=channel, target=target, message=message, secret=secret)
    except service.NotifyError as exc:
        sess.rollback()
        raise click.UsageError(str(exc)) from exc
    audit.record(sess, "notify.test", by=_cli_actor(), object_type="notification", object_id=row.id,
                 detail={"channel": channel, "target": service.masked_target(row)})
    sess.commit()
    report = service.deliver_pending(sess, ids=[row.id], limit=1)
    sess.refresh(row)
    if report.sent:
        click.echo(f"Sent: notification {row.id} via {channel} to {service.masked_target(row)}.")
        return
    click.echo(f"FAILED: notification {row.id}: {row.last_error}", err=True)
    if row.status == "retry":
        click.echo("It stays queued; `vault notify deliver` will try again.", err=True)
    sys.exit(1)


@notify_cli.command("list")
@click.option("--failed", is_flag=True, help="Only deliveries waiting to retry or failed for good.")
@click.option("--limit", default=50, show_default=True)
@with_appcontext
def list_command(failed: bool, limit: int) -> None:
    """Recent deliveries, newest first (webhook URLs shown by host only: they hold tokens)."""
    rows = service.list_outbox(db.session(), failed_only=failed, limit=limit)
    if not rows:
        click.echo("No failed deliveries." if failed else "No notifications.")
        return
    for row in rows:
        when = row.next_attempt_at if row.status == "retry" else row.updated_at
        click.echo(f"{row.id}\t{row.status}\t{row.channel}\t{service.masked_target(row)}\t"
                   f"attempts {row.attempts}/{service.MAX_ATTEMPTS}\t{when:%Y-%m-%d %H:%M}Z\t"
                   f"{row.subject}\t{row.last_error}")
