import pytest

from tests.access.builders import seed, trust_app
from tests.integrations.receiver import ApiReceiver

BASE_URL = "https://trust.example.test"


@pytest.fixture
def app(tmp_path, smtp_sink):
    """The trust center app (mail to the SMTP sink, loopback receivers allowed as in every notify test)
    with PUBLIC_BASE_URL set, as links in chat messages need it."""
    app = trust_app(tmp_path, smtp_sink, PUBLIC_BASE_URL=BASE_URL)
    yield app
    app.extensions["vault.engine"].dispose()


@pytest.fixture
def seeded(app, tmp_path):
    return seed(app, tmp_path)


@pytest.fixture
def api():
    r = ApiReceiver().start()
    yield r
    r.stop()


@pytest.fixture
def connect(app):
    """connect(kind, url, secret=None, events=None, language="en", **options) -> the integration's uid."""
    from vault import db, notify
    from vault.integrations import service
    from vault.integrations.catalogue import default_events
    from vault.storage import get_keyring

    def _connect(kind, url, secret=None, events=None, language="en", **options):
        with app.app_context():
            sess = db.session()
            row = service.add_target(sess, get_keyring(), notify.Settings.from_config(app.config), kind=kind,
                                     label=f"{kind} test", url=url, secret=secret or "",
                                     events=list(events or default_events(kind)), language=language,
                                     languages=["en", "zh"], **options)
            sess.commit()
            return row.uid

    return _connect


def outbox_rows(app):
    from sqlalchemy import select
    from vault import db
    from vault.notify import Outbox
    with app.app_context():
        sess = db.session()
        rows = list(sess.scalars(select(Outbox).order_by(Outbox.id)))
        for row in rows:
            sess.expunge(row)
        return rows
