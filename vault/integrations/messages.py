"""One event, worded for one integration: the outbox Message (chat text in the integration's language,
the webhook's JSON, the CRM's activity and its lookup domain)."""
from __future__ import annotations

from flask_babel import force_locale, gettext as _

from vault.notify import Message
from vault.integrations.catalogue import CHAT_KINDS, CRM_KINDS

APPROVABLE = ("pending", "needs_nda")  # the staff page still offers the Approve button


def _people(facts: dict) -> tuple[str, str, str]:
    who = facts.get("requester") or {}
    return who.get("name") or "", who.get("email") or "", who.get("company") or ""


def _status(status: str) -> str:
    return {"needs_nda": _("waiting for the NDA"), "pending": _("waiting for review"),
            "approved": _("approved by the rules"), "denied": _("refused by the rules")}.get(status, status)


def wording(name: str, facts: dict) -> tuple[str, str, str | None, str]:
    """(subject, text, link, link label) in the current locale."""
    person, email, company = _people(facts)
    if name == "access.requested":
        req = facts.get("request") or {}
        docs = ", ".join(facts.get("documents") or []) or _("all documents under NDA")
        text = _("%(name)s <%(email)s> asks for: %(documents)s.", name=person, email=email, documents=docs)
        text += "\n" + _("Status: %(status)s.", status=_status(req.get("status", "")))
        label = _("Approve") if req.get("status") in APPROVABLE else _("Open")
        return _("New access request: %(company)s", company=company), text, req.get("url"), label
    if name == "nda.signed":
        nda = facts.get("nda") or {}
        text = (_("%(name)s <%(email)s> accepted the NDA.", name=person, email=email)
                if nda.get("method") == "click_through" else
                _("A signed NDA was recorded for %(name)s <%(email)s>.", name=person, email=email))
        return _("NDA signed: %(company)s", company=company), text, (facts.get("request") or {}).get("url"), _("Open")
    if name == "access.approved":
        grant = facts.get("grant") or {}
        text = _("%(name)s <%(email)s> may download %(documents)s until %(date)s.", name=person, email=email,
                 documents=", ".join(grant.get("documents") or []), date=str(grant.get("expires_at") or "")[:10])
        return _("Access approved: %(company)s", company=company), text, (facts.get("request") or {}).get("url"), _("Open")
    if name == "document.downloaded":
        doc = facts.get("document") or {}
        text = _("%(name)s <%(email)s> downloaded %(title)s.", name=person, email=email, title=doc.get("title", ""))
        return _("Document downloaded: %(company)s", company=company), text, None, _("Open")
    if name == "questionnaire.matched":
        qn, n = facts.get("questionnaire") or {}, facts.get("counts") or {}
        text = _("%(file)s: %(filled)d filled, %(review)d for review, %(open)d unanswered (%(total)d questions).",
                 file=qn.get("filename", ""), filled=n.get("filled", 0), review=n.get("for_review", 0),
                 open=n.get("unanswered", 0), total=n.get("total", 0))
        return _("Questionnaire matched: %(customer)s", customer=qn.get("customer", "")), text, qn.get("url"), _("Review")
    return _("Test message from trustvault"), _("If you can read this, trustvault events reach this integration."), \
        None, _("Open")


def message_for(kind: str, language: str, name: str, facts: dict, *, event_id: str, occurred_at: str,
                options: dict, test_domain: str = "") -> Message:
    with force_locale(language):
        subject, text, link, label = wording(name, facts)
    data: dict = {"event": name, "event_id": event_id, "occurred_at": occurred_at, **facts}
    if kind in CHAT_KINDS:
        data = {"event": name, "link_label": label}
    elif kind in CRM_KINDS:
        person, email, company = _people(facts)
        crm = {"domain": (facts.get("requester") or {}).get("domain") or test_domain, "occurred_at": occurred_at,
               "extra": data, "fallback": options.get("fallback") or None}
        if test_domain:
            crm["test"] = True
        if kind == "hubspot":
            crm["template_id"] = options.get("template_id") or ""
            crm["tokens"] = {"event": name, "summary": subject, "detail": text, "name": person, "email": email,
                             "company": company, "link": link or ""}
        else:
            crm["api_version"] = options.get("api_version") or ""
        data = {"event": name, "crm": crm}
    return Message(subject=subject, text=text, url=link, data=data)
