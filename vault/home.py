"""The staff landing page, the two hub pages the staff nav groups links under, and the language switch."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from vault.i18n import LANG_COOKIE, without_lang_param
from vault.web import is_safe_next

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("documents.index"))
    return redirect(url_for("trust.index"))  # visitors come for the public trust center


@bp.get("/lang/<code>")
def set_language(code: str):
    target = request.args.get("next")
    resp = redirect(without_lang_param(target) if is_safe_next(target) else url_for("home.index"))
    if code in current_app.config["LANGUAGES"]:
        resp.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return resp


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/healthz")
def healthz():
    """The process answers (a load balancer's liveness probe): nothing else is touched."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Whether this instance can serve: the database, the object store, the rate-limit storage, Redis
    (when REDIS_URL is set) and the job queue's table answer. 503 names what failed; the reason goes to
    the log only. Workers are not a check here (docs/deployment.md: their absence is a backlog, alerted
    on from /metrics, not a reason to take every app server out of the load balancer)."""
    from sqlalchemy import select, text

    from vault import db
    from vault.extensions import limiter
    from vault.storage import get_store

    def database():
        with db.engine().connect() as conn:
            conn.execute(text("SELECT 1"))

    def object_store():
        get_store().check()

    def rate_limits():
        if not limiter.storage.check():
            raise RuntimeError("the rate-limit storage did not answer")

    def redis():
        client = current_app.extensions.get("vault.readyz.redis")
        if client is None:  # one small pool per app, short timeouts: a probe never hangs
            import redis as redis_lib
            client = redis_lib.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2,
                                              socket_connect_timeout=2)
            current_app.extensions["vault.readyz.redis"] = client
        client.ping()

    def queue():
        from vault.jobs.models import Job
        with db.engine().connect() as conn:
            conn.execute(select(Job.id).limit(1))

    probes = [("database", database), ("object_store", object_store), ("rate_limits", rate_limits)]
    if current_app.config.get("REDIS_URL"):
        probes.append(("redis", redis))
    probes.append(("queue", queue))
    checks = {}
    for name, probe in probes:
        try:
            probe()
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; the log says which and why
            current_app.logger.error("readiness check %s failed: %s", name, exc)
            checks[name] = "failed"
    ready = all(v == "ok" for v in checks.values())
    return {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503


@dataclass(frozen=True)
class HubLink:
    permission: str
    endpoint: str  # a name only: the hub links to features without importing them
    title: object
    text: object


# The staff nav keeps the daily work; what a company sets up once and looks at now and then sits in a hub.
HUBS = {
    "trust": (_l("Trust center"), (
        HubLink("settings.manage", "trust_staff.settings", _l("Trust center settings"),
                _l("Company name, summary, logo, which documents show, subprocessors.")),
        HubLink("overview.manage", "overview_staff.index", _l("Security overview"),
                _l("Data residency, encryption, backups and recovery, privacy roles, with evidence.")),
        HubLink("engagement.view", "engagement_staff.index", _l("Engagement"),
                _l("Who visits, requests, signs and downloads: the funnel and trends.")),
        HubLink("status.manage", "status_admin.index", _l("Status"),
                _l("Components, incidents and maintenance on the public status page.")),
        HubLink("advisories.manage", "advisories_staff.index", _l("Advisories"),
                _l("Security advisories and announcements, and their subscribers.")),
        HubLink("disclosure.manage", "disclosure_staff.index", _l("Vulnerabilities"),
                _l("Reports from security researchers: triage, replies, credit.")),
    )),
    "admin": (_l("Administration"), (
        HubLink("users.manage", "admin.users", _l("Users"), _l("Staff accounts, roles and two-factor sign-in.")),
        HubLink("audit.view", "admin.audit", _l("Audit trail"), _l("Every security-relevant event, hash-chained.")),
        HubLink("settings.manage", "sso_staff.settings", _l("Single sign-on"),
                _l("OpenID Connect or SAML sign-in, group-to-role mapping, SSO only.")),
        HubLink("settings.manage", "notify.index", _l("Notifications"),
                _l("Mail and chat channels, and the outbox of what was sent.")),
        HubLink("settings.manage", "integrations.index", _l("Integrations"),
                _l("CRM (HubSpot, Salesforce), the sales chat and signed webhooks.")),
    )),
}


def hub_links(hub: str) -> list[HubLink]:
    """The links of `hub` the signed-in user may open (the nav shows the hub only when there is one)."""
    if not current_user.is_authenticated:
        return []
    return [link for link in HUBS[hub][1] if current_user.can(link.permission)]


@bp.get("/staff/<any(trust, admin):hub>")
@login_required
def hub(hub: str):
    links = hub_links(hub)
    if not links:
        abort(403)
    return render_template("home/hub.html", title=HUBS[hub][0], links=links)
