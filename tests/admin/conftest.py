from tests.auth.conftest import _fresh_rate_limits, app  # noqa: F401  (same fixtures as the auth tests)
