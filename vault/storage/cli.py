"""STUB by the lead — the storage engineer replaces this file."""
import click

keys_cli = click.Group("keys", help="Master encryption keys.")
storage_cli = click.Group("storage", help="The object store.")
