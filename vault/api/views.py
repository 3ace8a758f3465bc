"""The API blueprint with every resource on it, the OpenAPI document and its reference page."""
from __future__ import annotations

from flask import render_template

from vault.api import access, documents, library, questionnaires, trust  # noqa: F401 (their routes)
from vault.api.blueprint import bp
from vault.api.docs import sections
from vault.api.problems import KINDS, TITLES
from vault.api.spec import document
from vault.extensions import limiter


@bp.get("/openapi.json")
@limiter.exempt
def openapi():
    return document()


@bp.get("/docs")
@limiter.exempt
def docs():
    doc = document()
    return render_template("api/docs.html", doc=doc, sections=sections(doc),
                           problems=[(status, kind, TITLES.get(status, "")) for status, kind in sorted(KINDS.items())])
