"""Service status and incident communication: components, incidents, maintenance, subscriptions."""


def register(app) -> None:
    """The public pages and API at /status, the staff pages at /admin/status, and `vault status`."""
    from status.admin_views import bp as admin_bp
    from status.cli import status_cli
    from status.views import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(admin_bp)
    app.cli.add_command(status_cli)
