"""Project rules a test can enforce: a pure core, and dependency floors for known advisories."""
import subprocess
import sys
from importlib.metadata import version

import pytest
from packaging.version import Version

PURE_MODULES = [
    "importers", "importers.library", "importers.language", "exporters", "exporters.filled", "answers.matching",
    "answers.autofill", "answers.autofill.plan", "answers.autofill.fit", "answers.autofill.fill", "vault.crypto",
    "vault.auth.secrets", "vault.watermark", "exporters.trust_report",
    "vault.backup.archive", "vault.backup.sealing", "vault.privatefile",
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


# --- the direction of imports (docs/architecture.md) -------------------------------------------------

PURE_CORE = ("importers", "exporters", "answers.matching", "answers.autofill", "vault.crypto", "vault.watermark",
             "vault.cachedir", "vault.tokens", "vault.privatefile", "vault.backup.archive", "vault.backup.sealing")
PLATFORM = ("vault.config", "vault.db", "vault.extensions", "vault.i18n", "vault.http", "vault.web", "vault.errors",
            "vault.audit", "vault.inputs", "vault.confirmations", "vault.subscriptions", "vault.downloads",
            "vault.markdown", "vault.tempcrypt", "vault.migrate", "vault.home", "vault.auth", "vault.storage", "vault.notify",
            "vault.sso", "vault.backup", "vault.logs", "vault.metrics",
            "vault.admin", "vault.jobs", "vault.integrations")
# Wires the features into the app: the only platform code that may name them.
COMPOSITION_ROOT = ("vault", "vault.features", "vault.cli", "vault.models", "vault.setup_cli", "vault.demo",
                    "vault.demo_pdfs")
FEATURES = ("vault.documents", "vault.access", "vault.trust", "vault.expiry", "status", "answers.library",
            "answers.questionnaires", "vault.advisories", "vault.disclosure", "vault.faq",
            "vault.engagement", "vault.overview", "vault.trustreports", "vault.api")
# The named interfaces: the only modules of a feature that another feature may import.
INTERFACES = {
    "vault.documents": ("vault.documents.models", "vault.documents.service", "vault.documents.status",
                        "vault.documents.labels", "vault.documents.validation", "vault.documents.mediatype"),
    "vault.expiry": ("vault.expiry.obligations",),  # features register their dates; expiry asks them
    "answers.library": ("answers.library.models", "answers.library.service", "answers.library.index",
                        "answers.library.stale", "answers.library.public"),
    "answers.questionnaires": ("answers.questionnaires.ledger", "answers.questionnaires.service",
                               "answers.questionnaires.export", "answers.questionnaires.jobs"),  # + REST API
    "vault.trust": ("vault.trust.service", "vault.trust.subprocessors"),  # subprocessors: the REST API
    "vault.access": ("vault.access.models", "vault.access.service",
                     "vault.access.emails", "vault.access.events"),  # emails, events: the REST API approves
    "status": ("status.public", "status.service", "status.shapes"),  # service, shapes: the REST API
    "vault.overview": ("vault.overview.public",),  # sections_for: the overview as plain data (custom reports)
    "vault.advisories": ("vault.advisories.service",),  # vulnerability disclosure publishes a fixed issue
}


def _owner(module: str, groups) -> str | None:
    for group in groups:
        if module == group or module.startswith(group + "."):
            return group
    return None


NAMESPACES = ("answers",)  # empty package files that only group the features


def _layer(module: str) -> str:
    if module in NAMESPACES:
        return "namespace"
    if module in COMPOSITION_ROOT:
        return "root"
    for name, groups in (("pure", PURE_CORE), ("platform", PLATFORM), ("feature", FEATURES)):
        if _owner(module, groups):
            return name
    return "unassigned"


@pytest.fixture(scope="module")
def import_graph():
    from tests.imports_graph import graph
    return graph()


def test_every_module_has_a_layer(import_graph):
    assert [m for m in import_graph if _layer(m) == "unassigned"] == []


def test_imports_run_one_way(import_graph):
    """pure core <- platform <- features; a feature imports another only through its named interface."""
    wrong = []
    for module, targets in sorted(import_graph.items()):
        layer = _layer(module)
        for target in sorted(targets):
            to = _layer(target)
            if to == "root" and layer != "root":
                wrong.append(f"{module} -> {target} (the composition root is imported by nobody)")
            elif layer == "pure" and to != "pure":
                wrong.append(f"{module} -> {target} (the pure core imports only the pure core)")
            elif layer == "platform" and to == "feature":
                wrong.append(f"{module} -> {target} (the platform imports no feature)")
            elif layer == "feature" and to == "feature":
                mine, theirs = _owner(module, FEATURES), _owner(target, FEATURES)
                if mine != theirs and target not in INTERFACES.get(theirs, ()):
                    wrong.append(f"{module} -> {target} (not a named interface of {theirs})")
    assert wrong == []


def test_no_module_imports_itself_back(import_graph):
    """No circle between modules, even through imports inside functions."""
    from tests.imports_graph import cycles
    assert cycles(import_graph) == []


def test_the_guards_catch_a_wrong_import(tmp_path):
    """The two checks fail on a made-up graph that breaks them."""
    from tests.imports_graph import cycles
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _layer("vault.db") == "platform" and _layer("vault.trust.views") == "feature"
    assert "vault.trust.views" not in INTERFACES["vault.trust"]


def test_exporters_and_the_watermark_use_only_the_importers_interface(import_graph):
    """The neutral structure, the untrusted-file limits and sandbox, and the language guess; no reader."""
    allowed = {"importers", "importers.model", "importers.safety", "importers.sandbox", "importers.language"}
    wrong = [f"{m} -> {t}" for m, targets in sorted(import_graph.items()) if m.startswith(("exporters", "vault.watermark"))
             for t in sorted(targets) if t.startswith("importers") and t not in allowed]
    assert wrong == []
