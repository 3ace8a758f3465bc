"""Legal's view: every dated obligation in one timeline, reminders, calendar feeds, stale answers."""


def register(app) -> None:
    """Add this part's pages, commands and providers to the app (called by `vault.features`)."""
    from vault.expiry.views import bp
    from vault.expiry.cli import expiry_cli, remind_command
    for blueprint in (bp,):
        app.register_blueprint(blueprint)
    for command in (remind_command, expiry_cli):
        app.cli.add_command(command)
