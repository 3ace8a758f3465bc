"""The staff nav keeps daily work and groups the rest under two hub pages, each showing what the role may open."""
import pytest


def test_admin_sees_both_hubs_with_every_area(client_as):
    c = client_as("admin")
    nav = c.get("/documents/").get_data(as_text=True)
    assert 'href="/staff/trust"' in nav and 'href="/staff/admin"' in nav
    trust = c.get("/staff/trust").get_data(as_text=True)
    for path in ("/admin/trust", "/admin/overview", "/admin/engagement", "/admin/status", "/admin/advisories",
                 "/admin/disclosure"):
        assert f'href="{path}' in trust, path
    admin = c.get("/staff/admin").get_data(as_text=True)
    assert "/admin/users" in admin and "/admin/audit" in admin


@pytest.mark.parametrize("role, trust_hub, admin_hub", [
    ("sales", 200, 403),  # engagement only
    ("viewer", 403, 403),
])
def test_a_hub_shows_only_what_the_role_may_open(client_as, role, trust_hub, admin_hub):
    c = client_as(role)
    assert c.get("/staff/trust").status_code == trust_hub
    assert c.get("/staff/admin").status_code == admin_hub
    nav = c.get("/documents/").get_data(as_text=True)
    assert ('href="/staff/trust"' in nav) == (trust_hub == 200)
    if trust_hub == 200:
        page = c.get("/staff/trust").get_data(as_text=True)
        assert "/admin/engagement" in page and "/admin/disclosure" not in page


def test_hubs_need_a_signed_in_user(client):
    assert client.get("/staff/trust").status_code in (302, 401)
