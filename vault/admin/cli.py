"""STUB by the lead — the auth engineer replaces this file."""
import click

audit_cli = click.Group("audit", help="The audit trail.")
