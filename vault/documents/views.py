"""STUB by the lead — the owning engineer replaces this file."""
from flask import Blueprint

bp = Blueprint("documents", __name__)


@bp.route("/documents/")
def index():
    return "stub"
