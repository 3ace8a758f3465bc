"""flask-login wiring: which user a session cookie belongs to.

The cookie carries "<id>.<session_token>"; the token is replaced at logout, password change and
disabling, so a copied session or remember-me cookie stops working at once.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from vault import db
from vault.auth.models import User
from vault.extensions import login_manager

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"
# "strong" would drop sessions made by flask-login's test client (no session identifier); the
# session token above is what ends stolen sessions.
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    uid, sep, token = (user_id or "").partition(".")
    if not sep or not uid.isdigit() or not token:
        return None
    user = db.session().get(User, int(uid))
    if user is None or not user.active or not user.matches_cookie_token(token):
        return None
    return user
