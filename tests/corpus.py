"""Where test inputs come from: files whose licence allows it are shipped in tests/fixtures (with their
attribution); the rest are read from the corpus beside the repository (../shared/data), and a test that
needs one skips when a clone has no such folder (tests/conftest.py)."""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURES = REPO / "tests" / "fixtures"


def need(path: Path) -> Path:
    """The path, or a one-line skip when it is a corpus file a clone does not have (never in CI)."""
    if not path.exists() and os.environ.get("CI") != "true" and not SHARED_DATA.is_dir():
        import pytest
        pytest.skip(f"needs {SHARED_DATA} (the shared corpus), absent here")
    return path


def pdf(name: str) -> Path:
    """A PDF by file name: the shipped copy when there is one, else the corpus's."""
    shipped = FIXTURES / "pdfs" / name
    return shipped if shipped.exists() else SHARED_DATA / "pdfs" / name
