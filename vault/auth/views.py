"""STUB by the lead — the owning engineer replaces this file."""
from flask import Blueprint

bp = Blueprint("auth", __name__)


@bp.route("/login")
def login():
    return "stub"


@bp.route("/logout", methods=["POST"])
def logout():
    return "stub"


@bp.route("/account")
def account():
    return "stub"
