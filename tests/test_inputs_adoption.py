"""Issue #17: the features use the platform's input error, email check, text cleaning and acting user."""
from __future__ import annotations

import pytest

from vault import audit, inputs


def test_feature_errors_are_the_platform_input_error():
    from vault.access.service import AccessError
    from vault.documents import validation
    from vault.expiry import service as expiry

    assert validation.InvalidInput is inputs.InvalidInput and expiry.InvalidInput is inputs.InvalidInput
    assert issubclass(validation.UploadRefused, inputs.InvalidInput) and issubclass(AccessError, inputs.InvalidInput)
    assert validation.BIDI_AND_INVISIBLE is inputs.BIDI_AND_INVISIBLE


def test_one_actor_shape():
    from answers.library import service as library
    from vault.auth import service as accounts

    assert library.Actor is audit.Actor and accounts.Actor is audit.Actor


def test_access_email_check_is_the_platform_one_with_its_own_error(app):
    from vault.access.service import AccessError, check_email

    with app.test_request_context():
        assert check_email("  Ann@Example.COM ") == "ann@example.com"
        with pytest.raises(AccessError) as exc:
            check_email("not-an-email")
        assert (exc.value.code, exc.value.field) == ("email", "email")
        assert "valid email address" in str(exc.value)


@pytest.mark.parametrize("value, code", [
    ("Ann\u00adSmith", "control"),  # a soft hyphen (Cf): refused by access on top of clean_text
    ("Ann\u202eSmith", "invisible"),
    ("Ann\x00", "control"),
    ("x" * 201, "too_long"),
    ("   ", "required"),
])
def test_access_names_go_through_clean_text_plus_the_format_character_rule(app, value, code):
    from vault.access.service import NAME_MAX, AccessError, _text

    with app.test_request_context():
        with pytest.raises(AccessError) as exc:
            _text(value, "name", NAME_MAX, required=True, label="full name", shown="Full name")
        assert (exc.value.code, exc.value.field) == (code, "name")


def test_expiry_errors_carry_a_code(app):
    from vault.expiry import service as expiry

    with app.test_request_context():
        with pytest.raises(inputs.InvalidInput) as exc:
            expiry.parse_thresholds("90, soon")
        assert (exc.value.code, exc.value.field) == ("thresholds", "thresholds")


def test_auth_uses_the_platform_email_rules(app):
    from vault.auth import service as accounts

    assert accounts.normalise_email is inputs.normalise_email
