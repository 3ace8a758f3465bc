import pytest

from tests.access.builders import seed, trust_app


@pytest.fixture
def app(tmp_path, smtp_sink):
    app = trust_app(tmp_path, smtp_sink)
    yield app
    app.extensions["vault.engine"].dispose()


@pytest.fixture
def seeded(app, tmp_path):
    return seed(app, tmp_path)
