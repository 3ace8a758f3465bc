"""Administration: users, the audit trail."""


def register(app) -> None:
    """Add this part's pages, commands and providers to the app (called by `vault.features`)."""
    from vault.admin.views import bp
    from vault.admin.cli import audit_cli
    for blueprint in (bp,):
        app.register_blueprint(blueprint)
    for command in (audit_cli,):
        app.cli.add_command(command)
