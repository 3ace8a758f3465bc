"""`vault disclosure check`: is security.txt valid for long enough, is the contact set, will it be signed?"""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from vault.db import utcnow
from vault.disclosure import service, signing


@click.group("disclosure", help="Vulnerability disclosure: security.txt and reports.")
def disclosure_cli() -> None:
    pass


@disclosure_cli.command("check")
@with_appcontext
def check_command() -> None:
    """Print the Expires date security.txt serves now and warn about what needs attention."""
    conf = service.Settings.from_config(current_app.config)
    now = utcnow()
    click.echo(f"security.txt Expires: {service.rfc3339(service.expires_at(conf, now))}")
    warnings = service.expiry_warnings(conf, now)
    if not conf.contact_email:
        warnings.append("DISCLOSURE_CONTACT_EMAIL is not set: security.txt lists the report form only")
    if not current_app.config.get("PUBLIC_BASE_URL"):
        warnings.append("PUBLIC_BASE_URL is not set: security.txt's URLs come from the request's host")
    if conf.pgp_key:
        try:
            signing.clearsign("check\n", conf.pgp_key, passphrase=conf.pgp_passphrase)
            click.echo("security.txt is signed with the key in DISCLOSURE_PGP_KEY.")
        except signing.SigningError as exc:
            warnings.append(f"security.txt is served unsigned: {exc}")
    else:
        click.echo("security.txt is served unsigned (set DISCLOSURE_PGP_KEY to sign it).")
    for line in warnings:
        click.echo(f"warning: {line}", err=True)
    if not warnings:
        click.echo("ok")
