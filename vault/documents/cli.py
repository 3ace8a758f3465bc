"""STUB by the lead — the documents engineer replaces this file."""
import click

documents_cli = click.Group("documents", help="Documents and versions.")
