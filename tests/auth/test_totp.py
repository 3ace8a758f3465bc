"""TOTP codes: drift window, replay refusal, malformed input."""
import pyotp
import pytest

from vault.auth import totp

NOW = 1_700_000_000.0


@pytest.fixture
def secret():
    return totp.new_secret()


def test_current_code_matches_its_step(secret):
    step = totp.current_step(NOW)
    code = pyotp.TOTP(secret).at(NOW)
    assert totp.matching_step(secret, code, None, now=NOW) == step


@pytest.mark.parametrize("offset,accepted", [(-2, False), (-1, True), (0, True), (1, True), (2, False)])
def test_one_step_of_clock_drift(secret, offset, accepted):
    step = totp.current_step(NOW) + offset
    result = totp.matching_step(secret, totp.code_at(secret, step), None, now=NOW)
    assert (result == step) if accepted else result is None


def test_replayed_code_is_refused(secret):
    code = pyotp.TOTP(secret).at(NOW)
    step = totp.matching_step(secret, code, None, now=NOW)
    assert totp.matching_step(secret, code, step, now=NOW) is None
    # and so is an older one, once a newer step was used
    older = totp.code_at(secret, step - 1)
    assert totp.matching_step(secret, older, step, now=NOW) is None
    # a later code still works
    newer = totp.code_at(secret, step + 1)
    assert totp.matching_step(secret, newer, step, now=NOW) == step + 1


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x"])
def test_malformed_codes(secret, code):
    assert totp.matching_step(secret, code, None, now=NOW) is None


def test_spaces_inside_a_code_are_ignored(secret):
    code = pyotp.TOTP(secret).at(NOW)
    assert totp.matching_step(secret, f"{code[:3]} {code[3:]}", None, now=NOW) is not None


def test_provisioning_uri_and_qr(secret):
    uri = totp.provisioning_uri(secret, "alice@example.com", "Example Cloud Ltd.")
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
    assert totp.qr_svg_data_uri(uri).startswith("data:image/svg+xml")
