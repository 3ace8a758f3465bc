"""The engagement dashboard (/admin/engagement) and its CSV export; permission `engagement.view`."""
from __future__ import annotations

import csv
import io

from babel.dates import format_skeleton
from flask import Blueprint, Response, render_template, request
from flask_babel import get_locale, gettext as _, lazy_gettext as _l

from exporters.safety import neutralise
from vault import db
from vault.db import utcnow
from vault.engagement import charts, service
from vault.engagement.forms import FilterForm
from vault.web import audit_event, require

bp = Blueprint("engagement_staff", __name__, url_prefix="/admin/engagement", static_folder="static",
               static_url_path="/static")

STAGES = {
    "visitors": _l("Visitors"),
    "requests": _l("Access requests"),
    "nda": _l("NDA accepted"),
    "approved": _l("Approved"),
    "downloaded": _l("Downloaded"),
}
PAGES = {
    "front": _l("Front page"),
    "document": _l("Document"),
    "subprocessors": _l("Subprocessors"),
    "request": _l("Request form"),
    "nda": _l("NDA"),
    "access": _l("Personal access page"),
    "download": _l("Download"),
    "other": _l("Other page"),
}


def duration(hours: float | None) -> str:
    """Time to approval in words a person reads: minutes, hours or days."""
    if hours is None:
        return "–"
    if hours < 1:
        return _("%(n)d min", n=max(1, round(hours * 60)))
    if hours < 48:
        return _("%(n)s h", n=_number(hours))
    return _("%(n)s d", n=_number(hours / 24))


def _number(value: float) -> str:
    """One decimal, without a trailing .0 (5.5, 52)."""
    return ("%.1f" % value).rstrip("0").rstrip(".")


def week_label(day) -> str:
    return format_skeleton("MMMd", day, locale=str(get_locale()))


def _filters():
    """(form, period, domain) from the query; a value not offered is reported on its field and the
    default is used instead."""
    sess = db.session()
    form = FilterForm(service.companies(sess), formdata=request.args or None)
    if request.args and not form.validate():
        for name in form.errors:
            getattr(form, name).data = getattr(form, name).default
    days = int(form.period.data or service.DEFAULT_PERIOD)
    return form, service.Period.last(days, utcnow()), form.company.data or None


@bp.get("/")
@require("engagement.view")
def index():
    sess = db.session()
    form, period, domain = _filters()
    result = service.funnel(sess, period, domain)
    stages = [(str(STAGES[key]), value) for key, value in result.stages()]
    weeks = service.weekly(sess, period, domain)
    labels = [week_label(w.start) for w in weeks]
    # Two charts: visits are counted in hundreds, requests and downloads in ones; one scale hides the latter.
    trends = [
        ("trend-visits", _("Visits per week"), charts.trend_chart(labels, [(_("Visits"), [w.visits for w in weeks])])),
        ("trend-access", _("Access requests and downloads per week"), charts.trend_chart(labels, [
            (_("Access requests"), [w.requests for w in weeks]), (_("Downloads"), [w.downloads for w in weeks])],
            colours=charts.COLOURS[1:])),
    ]
    return render_template("engagement/index.html", form=form, funnel=charts.funnel_chart(stages), trends=trends,
                           weeks=weeks, week_label=week_label, rows=service.company_rows(sess, period, domain),
                           visitors=service.visitor_rows(sess, period, domain, limit=15),
                           totals=service.totals(sess, period, domain), duration=duration, pages=PAGES,
                           period=period)


@bp.get("/export.csv")
@require("engagement.view")
def export_csv():
    sess = db.session()
    form, period, domain = _filters()
    rows = service.company_rows(sess, period, domain)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("Company"), _("Email domain"), _("Visits"), _("Visitors"), _("Documents viewed"),
                     _("Downloads"), _("Access requests"), _("NDA acceptances"), _("Approved"),
                     _("Median hours to approval"), _("Last activity")])
    for r in rows:
        values = [r.company, r.domain, r.visits, r.visitors, r.documents_viewed, r.downloads, r.requests,
                  r.nda_acceptances, r.approved, "" if r.approval_hours is None else f"{r.approval_hours:.1f}",
                  r.last_activity.isoformat(timespec="minutes") if r.last_activity else ""]
        writer.writerow([neutralise(str(v)) for v in values])  # company names are typed by visitors
    audit_event("engagement.export", object_type="engagement",
                detail={"rows": len(rows), "period": form.period.data, "company": domain or ""})
    sess.commit()
    body = "\ufeff" + out.getvalue()  # BOM: Excel reads the UTF-8 (Chinese names) correctly
    return Response(body.encode("utf-8"), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="engagement-{utcnow().date().isoformat()}.csv"',
        "Cache-Control": "no-store"})
