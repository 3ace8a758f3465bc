"""Service status and incident communication: components, incidents, maintenance, subscriptions."""


def init_app(app) -> None:
    """Blueprints: the public pages and API at /status, the staff pages at /admin/status."""
    from status.admin_views import bp as admin_bp
    from status.views import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(admin_bp)
