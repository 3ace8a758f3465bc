"""`vault documents ...`: list, add and upload from scripts (the demo uses the same services)."""
from __future__ import annotations

import json
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from vault import audit, db
from vault.auth.models import User
from vault.documents import service, validation
from vault.documents.models import FRAMEWORKS, DocumentType, Visibility
from vault.inputs import InvalidInput, normalise_email

documents_cli = click.Group("documents", help="Documents and versions.")

_date = click.DateTime(formats=["%Y-%m-%d"])


def _d(value) -> date | None:
    return value.date() if value else None


def _owner(sess, email: str | None) -> User:
    if email:
        user = sess.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise click.ClickException(f"No user with the email {email}.")
        return user
    user = sess.scalar(select(User).where(User.role == "admin", User.active.is_(True)).order_by(User.id).limit(1))
    if user is None:
        raise click.ClickException("No admin account yet: pass --owner EMAIL or create an admin first.")
    return user


def _version_options(fn):
    for opt in reversed([
        click.option("--effective", type=_date, help="Effective date, YYYY-MM-DD."),
        click.option("--expires", type=_date, help="Expiry date (last valid day), YYYY-MM-DD."),
        click.option("--audit-start", type=_date, help="Audit period start, YYYY-MM-DD."),
        click.option("--audit-end", type=_date, help="Audit period end, YYYY-MM-DD."),
        click.option("--issuer", default="", help="Issuer or auditor."),
        click.option("--notes", default="", help="Notes on this version."),
    ]):
        fn = opt(fn)
    return fn


def _meta(effective, expires, audit_start, audit_end, issuer, notes) -> service.VersionMeta:
    return service.VersionMeta(effective_date=_d(effective), expiry_date=_d(expires),
                               audit_period_start=_d(audit_start), audit_period_end=_d(audit_end),
                               issuer=issuer, notes=notes)


def _cli_actor(user: User) -> audit.Actor:
    """The account a command acts for, marked as a command (no IP)."""
    return audit.Actor(label=f"cli:{user.email}", id=user.id)


def _audit_version(sess, version, actor: User) -> None:
    audit.record(sess, "version.create", by=_cli_actor(actor), object_type="version",
                 object_id=version.uid, detail={"document": version.document.uid, "number": version.number,
                                                "filename": version.filename, "media_type": version.media_type,
                                                "size": version.size, "sha256": version.sha256})


@documents_cli.command("list")
@click.option("--type", "doc_type", type=click.Choice([t.value for t in DocumentType]))
@click.option("--framework")
@click.option("--visibility", type=click.Choice([v.value for v in Visibility]))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@with_appcontext
def list_command(doc_type, framework, visibility, as_json) -> None:
    """List documents with their current version and expiry status."""
    rows = service.document_rows(db.session(), today=date.today(),
                                 warning_days=current_app.config["EXPIRY_WARNING_DAYS"],
                                 doc_type=doc_type, framework=framework, visibility=visibility)
    for row in rows:
        d, cur, st = row.document, row.current, row.status
        item = {"uid": d.uid, "type": d.type, "visibility": d.visibility, "title": d.title_for("en"),
                "frameworks": d.frameworks, "version": cur.number if cur else None,
                "filename": cur.filename if cur else None, "status": st.kind.value, "days_left": st.days_left,
                "expires": st.expiry_date.isoformat() if st.expiry_date else None}
        if as_json:
            click.echo(json.dumps(item, ensure_ascii=False))
        else:
            status = st.kind.value + (f" ({st.days_left} days)" if st.days_left is not None else "")
            version = f"v{cur.number} {cur.filename}" if cur else "-"
            click.echo(f"{d.uid}  {d.type:<16} {status:<20} {version:<40} {item['title']}")
    if not as_json:
        click.echo(f"{len(rows)} documents.")


@documents_cli.command("add")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--title", default="", help="English title.")
@click.option("--title-zh", default="", help="Chinese title.")
@click.option("--description", default="")
@click.option("--description-zh", default="")
@click.option("--type", "doc_type", required=True, type=click.Choice([t.value for t in DocumentType]))
@click.option("--framework", "frameworks", multiple=True,
              help=f"Repeatable. Known: {', '.join(FRAMEWORKS)}; anything else is a custom framework.")
@click.option("--visibility", default=Visibility.INTERNAL.value, type=click.Choice([v.value for v in Visibility]))
@click.option("--owner", "owner_email", help="Owner's email (default: the first admin).")
@_version_options
@with_appcontext
def add_command(file, title, title_zh, description, description_zh, doc_type, frameworks, visibility, owner_email,
                effective, expires, audit_start, audit_end, issuer, notes) -> None:
    """Create a document with FILE as its first version."""
    sess = db.session()
    owner = _owner(sess, owner_email)
    fields_ = service.DocumentFields(doc_type=doc_type, visibility=visibility, frameworks=list(frameworks),
                                     texts={"en": (title, description), "zh": (title_zh, description_zh)})
    try:
        with validation.checked_file(file, max_bytes=current_app.config["MAX_UPLOAD_BYTES"]) as upload:
            document = service.create_document(sess, fields_, owner=owner, first_upload=upload,
                                               meta=_meta(effective, expires, audit_start, audit_end, issuer, notes),
                                               max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
            audit.record(sess, "document.create", by=_cli_actor(owner), object_type="document", object_id=document.uid,
                         detail={"title": document.title_for("en"), "type": doc_type, "visibility": visibility})
            _audit_version(sess, document.versions[0], owner)
            service.commit_upload(sess, document.versions[0])
    except InvalidInput as exc:
        sess.rollback()
        raise click.ClickException(f"{file}: {exc}") from exc
    v = document.versions[0]
    click.echo(f"Created document {document.uid} (version 1, {v.media_type}, {v.size} bytes, sha256 {v.sha256}).")


@documents_cli.command("upload")
@click.argument("doc_uid")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--uploader", "uploader_email", help="Uploader's email (default: the first admin).")
@_version_options
@with_appcontext
def upload_command(doc_uid, file, uploader_email, effective, expires, audit_start, audit_end, issuer, notes) -> None:
    """Upload FILE as a new version of the document DOC_UID."""
    sess = db.session()
    document = service.get_document(sess, doc_uid)
    if document is None:
        raise click.ClickException(f"No document {doc_uid}.")
    uploader = _owner(sess, uploader_email)
    try:
        with validation.checked_file(file, max_bytes=current_app.config["MAX_UPLOAD_BYTES"]) as upload:
            version = service.add_version(sess, document, upload, uploader=uploader,
                                          meta=_meta(effective, expires, audit_start, audit_end, issuer, notes),
                                          max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
            _audit_version(sess, version, uploader)
            service.commit_upload(sess, version)
    except InvalidInput as exc:
        sess.rollback()
        raise click.ClickException(f"{file}: {exc}") from exc
    click.echo(f"Uploaded version {version.number} of {document.uid} ({version.media_type}, {version.size} bytes).")
