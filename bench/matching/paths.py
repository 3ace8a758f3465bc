"""Where the benchmark finds its data."""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA_DIR = REPO / "bench" / "data"


def questionnaires_dir() -> Path:
    """shared/data/questionnaires: $TRUSTVAULT_QUESTIONNAIRES, else beside the repo (CI clones main next to shared/)."""
    env = os.environ.get("TRUSTVAULT_QUESTIONNAIRES")
    candidates = [Path(env)] if env else []
    candidates += [REPO.parent / "shared" / "data" / "questionnaires"]
    for c in candidates:
        if c.is_dir():
            return c
    raise FileNotFoundError(f"{REPO.parent / 'shared' / 'data' / 'questionnaires'} not found; "
                            "set TRUSTVAULT_QUESTIONNAIRES")
