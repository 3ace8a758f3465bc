import pytest

from tests.conftest import make_app

# Cheap Argon2 for speed (0.45 s per hash with the real parameters on a 2-CPU machine). The tests of
# timing and of rehashing build their own app with the real parameters.
FAST_HASHING = {"ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}}


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, **FAST_HASHING)
    yield app
    app.extensions["vault.engine"].dispose()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """The limiter is one module-level object. Each app made by make_app gets new memory storage;
    clearing it after every test as well keeps counters from leaking even if that changes."""
    yield
    from vault.extensions import limiter
    try:
        limiter.reset()
    except AssertionError:  # no app initialised the limiter in this test
        pass
