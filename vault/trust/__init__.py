"""The public trust center: profile settings and the public pages."""


def register(app) -> None:
    """Add this part's pages, commands and providers to the app (called by `vault.features`)."""
    from vault.trust.staff import bp as staff_bp
    from vault.trust.views import bp
    for blueprint in (bp, staff_bp):
        app.register_blueprint(blueprint)
