"""Documents and their immutable versions: the evidence itself."""


def register(app) -> None:
    """Add this part's pages, commands and providers to the app (called by `vault.features`)."""
    from vault.documents import obligations  # noqa: F401 - registers the document dates
    from vault.documents.views import bp
    from vault.documents.cli import documents_cli
    for blueprint in (bp,):
        app.register_blueprint(blueprint)
    for command in (documents_cli,):
        app.cli.add_command(command)
    from vault.documents.status import expired_since
    app.jinja_env.globals["expired_since"] = expired_since  # one date rule for every template
