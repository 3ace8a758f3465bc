"""Staff accounts, roles, sign-in and two-factor authentication."""


def register(app) -> None:
    """Add this part's pages, commands and providers to the app (called by `vault.features`)."""
    from vault.auth.views import bp
    from vault.auth.cli import users_cli
    for blueprint in (bp,):
        app.register_blueprint(blueprint)
    for command in (users_cli,):
        app.cli.add_command(command)
