"""Questionnaires: upload, detection, review, export (see docs/questionnaires.md)."""


def register(app) -> None:
    """Add this part's pages, commands and providers to the app (called by `vault.features`)."""
    from answers.questionnaires import ledger  # noqa: F401 - tells the library who received an answer
    from answers.questionnaires.views import bp
    from answers.questionnaires.cli import autofill_command
    for blueprint in (bp,):
        app.register_blueprint(blueprint)
    for command in (autofill_command,):
        app.cli.add_command(command)
