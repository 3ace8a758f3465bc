"""An advisory as a CSAF 2.0 document (OASIS Common Security Advisory Framework, profile
"csaf_security_advisory"), for customers' vulnerability-management tools.

Plain data in, a dict out; the view serves it as JSON. Product ids are CSAFPID-A<n> for the affected
version ranges and CSAFPID-F<n> for the fixed versions, in the order staff entered them, so they stay
stable between revisions unless the lists change.
"""
from __future__ import annotations

from vault.advisories.models import Advisory


def _ts(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _revision_date(iso: str) -> str:
    from datetime import datetime
    return _ts(datetime.fromisoformat(iso))


def document(advisory: Advisory, *, publisher: str, namespace: str, self_url: str) -> dict:
    """The CSAF 2.0 JSON of a published advisory (English text, Chinese where English is blank)."""
    affected_ids, fixed_ids, by_product = [], [], {}
    for n, item in enumerate(advisory.affected or (), start=1):
        pid = f"CSAFPID-A{n}"
        affected_ids.append(pid)
        by_product.setdefault(item["product"], []).append(
            {"category": "product_version_range", "name": item["versions"],
             "product": {"product_id": pid, "name": f"{publisher} {item['product']} {item['versions']}"}})
    for n, item in enumerate(advisory.fixed_in or (), start=1):
        pid = f"CSAFPID-F{n}"
        fixed_ids.append(pid)
        by_product.setdefault(item["product"], []).append(
            {"category": "product_version", "name": item["version"],
             "product": {"product_id": pid, "name": f"{publisher} {item['product']} {item['version']}"}})
    product_tree = {"branches": [{
        "category": "vendor", "name": publisher,
        "branches": [{"category": "product_name", "name": name, "branches": versions}
                     for name, versions in by_product.items()],
    }]} if by_product else {}

    title = advisory.title_for("en")
    body = advisory.body_for("en")
    revisions = [{"number": r["number"], "date": _revision_date(r["date"]), "summary": r["summary"]}
                 for r in advisory.revisions or ()]
    if not revisions:  # never published: not served, but the shape stays valid for tests and previews
        revisions = [{"number": "0", "date": _ts(advisory.updated_at), "summary": "Draft"}]
    doc = {
        "category": "csaf_security_advisory",
        "csaf_version": "2.0",
        "lang": "en",
        "title": title,
        "publisher": {"category": "vendor", "name": publisher, "namespace": namespace},
        "notes": [{"category": "summary", "title": "Summary", "text": body or title}],
        "references": [{"category": "self", "summary": f"{advisory.advisory_id} on the trust center",
                        "url": self_url}],
        "tracking": {
            "id": advisory.advisory_id,
            "status": "final" if advisory.published else "draft",
            "version": revisions[-1]["number"],
            "initial_release_date": revisions[0]["date"] if advisory.published_at is None else _ts(advisory.published_at),
            "current_release_date": revisions[-1]["date"],
            "revision_history": revisions,
        },
    }
    if advisory.cvss_score is not None:
        doc["aggregate_severity"] = {"namespace": "https://www.first.org/cvss/specification-document",
                                     "text": advisory.severity.capitalize()}

    vulnerability: dict = {
        "title": title,
        "notes": [{"category": "description", "title": "Description", "text": body or title}],
        "product_status": {},
    }
    if affected_ids:
        vulnerability["product_status"]["known_affected"] = affected_ids
    if fixed_ids:
        vulnerability["product_status"]["fixed"] = fixed_ids
    if not vulnerability["product_status"]:
        del vulnerability["product_status"]
    if advisory.cvss_score is not None and affected_ids:
        vulnerability["scores"] = [{"products": affected_ids, "cvss_v3": {
            "version": "3.1", "vectorString": advisory.cvss_vector, "baseScore": advisory.cvss_score,
            "baseSeverity": advisory.severity.upper()}}]
    if affected_ids:
        fixed_text = ", ".join(f"{f['product']} {f['version']}" for f in advisory.fixed_in or ())
        vulnerability["remediations"] = [{
            "category": "vendor_fix", "product_ids": affected_ids,
            "details": f"Update to {fixed_text}." if fixed_text else "See the advisory for the remediation.",
            "url": self_url,
        }]
    vulnerabilities = ([{"cve": cve, **vulnerability} for cve in advisory.cve_ids]
                       if advisory.cve_ids else [vulnerability])
    out = {"document": doc, "vulnerabilities": vulnerabilities}
    if product_tree:
        out["product_tree"] = product_tree
    return out
