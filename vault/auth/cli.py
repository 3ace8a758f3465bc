"""STUB by the lead — the auth engineer replaces this file."""
import click

users_cli = click.Group("users", help="Staff accounts.")
