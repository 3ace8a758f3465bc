"""`vault audit ...`: check the hash chain, export the trail."""
from __future__ import annotations

import sys
from datetime import date

import click
from flask.cli import with_appcontext

from vault import audit, db
from vault.admin import service
from vault.admin.anchor import send_anchor

audit_cli = click.Group("audit", help="The audit trail.")


def _anchor(_ctx, _param, value: str | None) -> audit.Anchor | None:
    if not value:
        return None
    try:
        return audit.Anchor.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@audit_cli.command("verify")
@click.option("--expect-head", callback=_anchor, metavar="[SEQ:]HASH",
              help="A head kept outside the database (a reminder digest, the anchor webhook's receiver, an "
                   "earlier verify): fails unless that entry is still in the chain, unchanged.")
@with_appcontext
def verify_command(expect_head: audit.Anchor | None) -> None:
    """Recompute the hash chain. Prints the head hash to anchor outside the vault; exits 1 on damage."""
    report = audit.verify_chain(db.session(), expect_head=expect_head)
    if report.ok:
        head = audit.current_head(db.session())
        click.echo(f"OK: {report.count} entries, head hash {report.head_hash}")
        if expect_head is not None:
            click.echo(f"The anchored head {expect_head} is in the chain; the head is now #{head.seq}.")
        return
    click.echo(f"FAILED: the audit trail has been tampered with or damaged ({report.count} entries read):", err=True)
    for problem in report.problems:
        click.echo(f"  - {problem}", err=True)
    sys.exit(1)


@audit_cli.command("anchor")
@with_appcontext
def anchor_command() -> None:
    """Send the current head to AUDIT_ANCHOR_WEBHOOK (signed with AUDIT_ANCHOR_SECRET), once per head."""
    from flask import current_app
    url, secret = current_app.config.get("AUDIT_ANCHOR_WEBHOOK"), current_app.config.get("AUDIT_ANCHOR_SECRET")
    if not url or not secret:
        click.echo("Set AUDIT_ANCHOR_WEBHOOK and AUDIT_ANCHOR_SECRET to keep the head outside the database.",
                   err=True)
        sys.exit(2)
    from vault import notify
    sess = db.session()
    try:
        send_anchor(sess, url=url, secret=secret)
    except notify.NotifyError as exc:
        sess.rollback()
        click.echo(f"The anchor webhook is not acceptable: {exc}", err=True)
        sys.exit(2)
    sess.commit()
    click.echo(f"Queued head {audit.current_head(sess)} for the anchor (sent by `vault notify deliver`).")


def _cli_actor() -> audit.Actor:
    from vault.auth.cli import cli_actor
    return cli_actor()


def _date(_ctx, _param, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date like 2025-01-31") from exc


@audit_cli.command("export")
@click.option("--since", callback=_date, help="First day to include (YYYY-MM-DD, UTC).")
@click.option("--until", callback=_date, help="Last day to include (YYYY-MM-DD, UTC).")
@click.option("--action", default="", help="Only actions starting with this, e.g. 'auth.'.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, allow_dash=True), default="-",
              help="CSV file to write (default: standard output).")
@with_appcontext
def export_command(since: date | None, until: date | None, action: str, output: str) -> None:
    """Write the audit events as CSV, oldest first."""
    filters = service.AuditFilters(action=action, since=since, until=until)
    sess = db.session()
    audit.record(sess, "audit.export", by=_cli_actor(), detail={"filters": filters.as_query(), "to": output})
    sess.commit()
    if output == "-":
        for chunk in service.export_lines(sess, filters):
            click.echo(chunk, nl=False)
        return
    with open(output, "w", encoding="utf-8", newline="") as fh:  # csv writes its own \r\n
        for chunk in service.export_lines(sess, filters):
            fh.write(chunk)
    click.echo(f"Wrote {output}.", err=True)
