"""The channel registry: name -> module with `deliver(envelope, context)`. One failing channel never
stops the others (the service catches per row)."""
from __future__ import annotations

from types import ModuleType

from vault.notify.channels import dingtalk, email, feishu, hubspot, salesforce, slack, teams, webhook, wecom

CHANNELS: dict[str, ModuleType] = {
    "email": email, "webhook": webhook, "slack": slack, "teams": teams,
    "dingtalk": dingtalk, "feishu": feishu, "wecom": wecom,
    "hubspot": hubspot, "salesforce": salesforce,  # CRM APIs: their token travels sealed (channels/crm.py)
}
CRM_CHANNELS = frozenset({"hubspot", "salesforce"})
URL_CHANNELS = frozenset(CHANNELS) - {"email"} - CRM_CHANNELS  # a person types these webhook URLs
SIGNED_CHANNELS = frozenset({"webhook", "dingtalk", "feishu"})  # take a `secret` (a signing key)
SECRET_CHANNELS = SIGNED_CHANNELS | CRM_CHANNELS  # the CRMs' `secret` is their sealed API token
