"""`vault trace FILE`: whose download a leaked copy was."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from vault import audit, db


@click.command("trace")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def trace_command(file: Path) -> None:
    """Find the download id in a leaked PDF or DOCX and say whose download it was."""
    from vault.access import service

    if not file.is_file():
        raise click.ClickException(f"No such file: {file}")
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if file.stat().st_size > limit:
        raise click.ClickException(f"The file is larger than the upload limit ({limit} bytes).")
    sess = db.session()
    report = service.trace(sess, file.read_bytes())
    audit.record(sess, "access.trace", by=audit.Actor(label="cli"), object_type="download",
                 object_id=report.download_id or "",
                 outcome="ok" if report.download else "failed",
                 detail={"filename": file.name[:200], "method": report.method, "found": report.download is not None,
                         **({"damaged": report.damaged[:300]} if report.damaged else {})})
    sess.commit()
    if report.download_id is None and report.damaged:  # say what is wrong, not "not marked"
        click.echo(f"{file.name}: {report.damaged}", err=True)
        sys.exit(1)
    for note in report.notes:
        click.echo(f"Note:         {note}")
    if report.download_id is None:
        click.echo("No download id found in this file: it was not marked by this trust center, or the mark was removed.")
        sys.exit(1)
    dl = report.download
    if dl is None:
        click.echo(f"Download id {report.download_id} (found by {report.method}) is not in this vault's records.")
        sys.exit(1)
    grant = dl.grant
    click.echo(f"Download id:  {dl.download_id} (found by {report.method}, confidence {report.confidence})")
    click.echo(f"Recipient:    {dl.name} <{dl.email}>, {dl.company}")
    click.echo(f"Downloaded:   {dl.downloaded_at.isoformat()} from {dl.ip or '-'}")
    click.echo(f"Document:     {dl.document.title_for('en')} (version {dl.version.number}, {dl.version.filename})")
    if grant is not None:
        state = "revoked" if grant.revoked_at else "active until"
        click.echo(f"Grant:        {grant.uid}, created {grant.created_at.isoformat()}, {state} "
                   f"{(grant.revoked_at or grant.expires_at).isoformat()}")
        click.echo(f"NDA:          {grant.nda_acceptance.method} by {grant.nda_acceptance.full_name} "
                   f"on {grant.nda_acceptance.accepted_at.isoformat()}")
