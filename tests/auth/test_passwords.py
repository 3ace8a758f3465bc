"""Password hashing and rules (no app needed beyond Babel's defaults)."""
import pytest
from argon2 import PasswordHasher

from vault.auth import passwords


def test_hash_is_argon2id_and_verifies():
    h = passwords.hash_password("a long enough password")
    assert h.startswith("$argon2id$")
    assert passwords.verify_password(h, "a long enough password")
    assert not passwords.verify_password(h, "a long enough passwore")


def test_unknown_account_verifies_nothing_but_does_the_work():
    assert passwords.verify_password(None, "anything at all") is False
    # the dummy hash's own text must not unlock a missing account either
    assert not passwords.verify_password(None, "dummy password used to even out the timing of unknown accounts")


def test_garbage_hash_is_refused_not_an_error():
    assert not passwords.verify_password("not-a-hash", "whatever password")


def test_needs_rehash_when_parameters_change():
    old = PasswordHasher(time_cost=1, memory_cost=8192).hash("a long enough password")
    assert passwords.needs_rehash(old)
    assert not passwords.needs_rehash(passwords.hash_password("a long enough password"))


@pytest.mark.parametrize("password,email,problem", [
    ("short", "", "at least 12"),
    ("elevenchars", "", "at least 12"),
    ("x" * 1025, "", "at most 1024"),
    ("Alice@Example.com", "alice@example.com", "email"),
    ("twelve chars", "", None),
    ("correct horse battery staple", "alice@example.com", None),
])
def test_password_rules(password, email, problem):
    result = passwords.password_problem(password, email)
    if problem is None:
        assert result is None
    else:
        assert problem in result
