"""STUB by the lead — the owning engineer replaces this file."""
from flask import Blueprint

bp = Blueprint("admin", __name__)


@bp.route("/admin/audit")
def audit():
    return "stub"


@bp.route("/admin/users")
def users():
    return "stub"
