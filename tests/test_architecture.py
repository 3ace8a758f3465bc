"""Project rules a test can enforce: a pure core, and dependency floors for known advisories."""
import subprocess
import sys
from importlib.metadata import version

import pytest
from packaging.version import Version

PURE_MODULES = [
    "importers", "importers.library", "importers.language", "exporters", "exporters.filled", "answers.matching",
    "answers.autofill", "answers.autofill.plan", "answers.autofill.fit", "answers.autofill.fill", "vault.crypto",
    "vault.auth.secrets", "vault.watermark",
]


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_core_imports_neither_flask_nor_the_database(module):
    code = (f"import sys, {module}; bad = [m for m in ('flask', 'sqlalchemy') if m in sys.modules]; "
            "print(','.join(bad)); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{module} pulls in {result.stdout.strip() or result.stderr}"


@pytest.mark.parametrize("package, floor", [
    ("pypdf", "6.16.1"),  # crafted-PDF denial-of-service fixes (THREATS.md)
    ("flask", "3.1.3"),
    ("werkzeug", "3.1.6"),
])
def test_installed_versions_include_the_advisory_fixes(package, floor):
    assert Version(version(package)) >= Version(floor)


def test_openpyxl_parses_with_defusedxml():
    import openpyxl.xml
    assert openpyxl.xml.DEFUSEDXML is True
