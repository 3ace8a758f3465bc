"""The admin's single sign-on settings page (settings.manage)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from vault import db
from vault.auth.roles import ROLE_NAMES
from vault.inputs import InvalidInput
from vault.sso import mapping, saml, service
from vault.sso.errors import SsoRefused
from vault.sso.forms import SsoSettingsForm
from vault.sso.hooks import absolute_url
from vault.sso.views import service_provider
from vault.web import current_actor, form_error, require

bp = Blueprint("sso_staff", __name__, url_prefix="/staff/admin/sso")


def _urls() -> dict:
    """What to enter at the identity provider; empty, with the reason shown above the form, when this server
    does not know its public address."""
    try:
        return {"redirect_uri": absolute_url("sso.oidc_callback"), "metadata": absolute_url("sso.saml_metadata"),
                "acs": absolute_url("sso.saml_acs"), "entity_id": absolute_url("sso.saml_metadata")}
    except SsoRefused as exc:
        return {"problem": exc.message}


def _page(form: SsoSettingsForm, settings, status: int = 200):
    urls = _urls()
    if urls.get("problem"):
        form.form_errors.append(urls["problem"])
    return render_template("sso/settings.html", form=form, settings=settings, roles=ROLE_NAMES, urls=urls), status


@bp.get("/")
@require("settings.manage")
def settings():
    row = service.get_settings(db.session())
    form = SsoSettingsForm(
        oidc_enabled=row.oidc_enabled, oidc_issuer=row.oidc_issuer, oidc_client_id=row.oidc_client_id,
        oidc_groups_claim=row.oidc_groups_claim, saml_enabled=row.saml_enabled,
        saml_idp_metadata=row.saml_idp_metadata, saml_email_attribute=row.saml_email_attribute,
        saml_groups_attribute=row.saml_groups_attribute, group_roles=mapping.as_text(row.group_roles),
        sso_only=row.sso_only, break_glass_email=row.break_glass_email or "")
    return _page(form, row)


def check_metadata(metadata: str) -> None:
    """SsoRefused saying why this IdP metadata cannot be used with our service provider."""
    saml.idp_entity_id(service_provider(metadata))


@bp.post("/")
@require("settings.manage")
def save():
    form = SsoSettingsForm()
    sess = db.session()
    row = service.get_settings(sess)
    if not form.validate_on_submit():
        return _page(form, row, 400)
    data = service.SettingsInput(**{name: "" if form[name].data is None else form[name].data
                                    for name in service.SettingsInput.__dataclass_fields__})
    try:
        service.save_settings(sess, data, actor=current_actor(), check_saml=check_metadata)
    except InvalidInput as exc:
        sess.rollback()
        form_error(form, exc)
        return _page(form, service.get_settings(sess), 400)
    sess.commit()
    flash(_("Single sign-on settings saved."), "success")
    return redirect(url_for(".settings"))
