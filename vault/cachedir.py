"""Where derived files (font pre-cuts, the matcher's derived model) are cached. No Flask import."""
from __future__ import annotations

import os
from pathlib import Path


def cache_dir(kind: str, env: str) -> Path | None:
    """`$env`, else `$VAULT_INSTANCE_PATH/cache/<kind>`, else `$XDG_CACHE_HOME/trustvault/<kind>`
    (`~/.cache/...`); None when there is no home directory either."""
    if os.environ.get(env):
        return Path(os.environ[env])
    if os.environ.get("VAULT_INSTANCE_PATH"):
        return Path(os.environ["VAULT_INSTANCE_PATH"]) / "cache" / kind
    try:
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "trustvault" / kind
    except RuntimeError:  # no home directory
        return None
