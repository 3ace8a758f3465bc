"""The channel registry: name -> module with `deliver(envelope, context)`. One failing channel never
stops the others (the service catches per row)."""
from __future__ import annotations

from types import ModuleType

from vault.notify.channels import dingtalk, email, feishu, slack, teams, webhook, wecom

CHANNELS: dict[str, ModuleType] = {
    "email": email, "webhook": webhook, "slack": slack, "teams": teams,
    "dingtalk": dingtalk, "feishu": feishu, "wecom": wecom,
}
URL_CHANNELS = frozenset(CHANNELS) - {"email"}
SIGNED_CHANNELS = frozenset({"webhook", "dingtalk", "feishu"})  # take a `secret`
