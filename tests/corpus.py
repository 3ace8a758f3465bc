"""Where test inputs come from: files whose licence allows it are shipped in tests/fixtures (with their
attribution); the rest are read from the corpus beside the repository (../shared/data), and a test that
needs one skips when a clone has no such folder (tests/conftest.py)."""
from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURES = REPO / "tests" / "fixtures"


def pdf(name: str) -> Path:
    """A PDF by file name: the shipped copy when there is one, else the corpus's."""
    shipped = FIXTURES / "pdfs" / name
    return shipped if shipped.exists() else SHARED_DATA / "pdfs" / name
