"""Approval rules, pure: which requests are refused, approved automatically or reviewed by staff."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    AUTO_APPROVE = "auto_approve"
    MANUAL = "manual"
    DENY = "deny"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    rule: str  # stable code: blocked_domain, free_mail, allow_listed, existing_grant, review


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower() if "@" in email else ""


def domain_matches(domain: str, listed: list[str] | tuple[str, ...]) -> bool:
    """"example.com" in the list covers example.com and any subdomain (eu.example.com), not badexample.com."""
    domain = domain.lower().rstrip(".")
    return any(domain == d or domain.endswith("." + d) for d in listed if d)


def refusal(domain: str, *, blocked: list[str], free_mail: list[str]) -> str | None:
    """Why a requester's domain is refused at the form ("blocked_domain", "free_mail"), or None."""
    if domain_matches(domain, blocked):
        return "blocked_domain"
    if domain_matches(domain, free_mail):
        return "free_mail"
    return None


def decide(domain: str, *, blocked: list[str], free_mail: list[str], allowed: list[str],
           has_active_grant: bool) -> Decision:
    """Applied when a request is complete (email confirmed, NDA accepted).

    Refusals are checked again here: the policy may have changed since the form was sent.
    """
    refused = refusal(domain, blocked=blocked, free_mail=free_mail)
    if refused:
        return Decision(Outcome.DENY, refused)
    if domain_matches(domain, allowed):
        return Decision(Outcome.AUTO_APPROVE, "allow_listed")
    if has_active_grant:
        return Decision(Outcome.AUTO_APPROVE, "existing_grant")
    return Decision(Outcome.MANUAL, "review")
