"""Access requests, NDAs, grants and watermarked downloads: the prospect's journey."""


def register(app) -> None:
    """Add this part's pages, commands and providers to the app (called by `vault.features`)."""
    from vault.access import obligations  # noqa: F401 - registers grant and NDA dates
    from vault.access.staff import bp as staff_bp
    from vault.access.views import bp
    from vault.access.cli import trace_command
    for blueprint in (bp, staff_bp):
        app.register_blueprint(blueprint)
    for command in (trace_command,):
        app.cli.add_command(command)
