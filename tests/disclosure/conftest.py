import pytest

from tests.disclosure.builders import disclosure_app


@pytest.fixture
def app(tmp_path, smtp_sink):
    """The app with email going to the real SMTP sink (overrides the shared `app`)."""
    app = disclosure_app(tmp_path, smtp_sink)
    yield app
    app.extensions["vault.engine"].dispose()
