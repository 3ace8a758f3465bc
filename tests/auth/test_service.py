"""Account rules in the service, independent of the pages."""
import pytest

from tests.conftest import TEST_PASSWORD
from vault import db
from vault.audit import Actor
from vault.auth import service


@pytest.fixture
def sess(app):
    with app.app_context():
        yield db.session()


def test_create_user_normalises_and_audits(sess):
    user = service.create_user(sess, email="  Mixed@Example.COM ", password=TEST_PASSWORD, role="legal",
                               name=" Ann ", actor=Actor(label="boss@example.com", id=None, ip="10.0.0.1"))
    assert (user.email, user.name, user.role, user.active) == ("mixed@example.com", "Ann", "legal", True)
    assert user.password_hash.startswith("$argon2id$") and TEST_PASSWORD not in user.password_hash
    assert service.authenticate(sess, "MIXED@example.com", TEST_PASSWORD) is user
    assert service.authenticate(sess, "mixed@example.com", TEST_PASSWORD + "x") is None
    assert service.authenticate(sess, "ghost@example.com", TEST_PASSWORD) is None


@pytest.mark.parametrize("kwargs,message", [
    ({"email": "nope"}, "not a valid email"),
    ({"email": "a@b"}, "not a valid email"),
    ({"role": "root"}, "Unknown role"),
    ({"password": "too short"}, "at least 12"),
])
def test_create_user_refusals(sess, kwargs, message):
    args = {"email": "ok@example.com", "password": TEST_PASSWORD, "role": "viewer", **kwargs}
    with pytest.raises(service.AccountError, match=message):
        service.create_user(sess, **args)


def test_never_zero_active_admins(sess):
    a = service.create_user(sess, email="a@example.com", password=TEST_PASSWORD, role="admin")
    b = service.create_user(sess, email="b@example.com", password=TEST_PASSWORD, role="admin")
    service.set_active(sess, b, False, actor="t")
    with pytest.raises(service.AccountError, match="last active admin"):
        service.set_role(sess, a, "viewer", actor="t")
    with pytest.raises(service.AccountError, match="last active admin"):
        service.set_active(sess, a, False, actor="t")
    # a disabled admin does not count, but can be demoted freely
    service.set_role(sess, b, "viewer", actor="t")
    assert a.active and a.role == "admin"


def test_disabling_rotates_the_session_token(sess):
    user = service.create_user(sess, email="u@example.com", password=TEST_PASSWORD, role="viewer")
    token = user.session_token
    service.set_active(sess, user, False, actor="t")
    assert user.session_token != token and not user.can("documents.view")
