"""The answer library: entries, history, review dates, evidence links."""


def register(app) -> None:
    """Add this part's pages, commands and providers to the app (called by `vault.features`)."""
    from answers.library import obligations  # noqa: F401 - registers review and stale-answer dates
    from answers.library.views import bp
    from answers.library.cli import library_cli
    for blueprint in (bp,):
        app.register_blueprint(blueprint)
    for command in (library_cli,):
        app.cli.add_command(command)
