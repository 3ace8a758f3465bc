"""docs/permissions.md shows the same matrix the server enforces."""
from pathlib import Path

from vault.auth.roles import PERMISSIONS, Role, matrix_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def test_doc_matrix_matches_the_code():
    text = DOC.read_text(encoding="utf-8")
    matrix = text.split("<!-- matrix:start -->", 1)[1].split("<!-- matrix:end -->", 1)[0].strip()
    assert matrix == matrix_markdown(), "regenerate docs/permissions.md from vault.auth.roles.matrix_markdown()"


def test_doc_names_every_role():
    text = DOC.read_text(encoding="utf-8")
    for role in Role:
        assert f"| `{role.value}` |" in text


def test_only_admins_see_the_audit_trail_and_manage_users():
    assert PERMISSIONS["audit.view"] == {Role.ADMIN} and PERMISSIONS["users.manage"] == {Role.ADMIN}
