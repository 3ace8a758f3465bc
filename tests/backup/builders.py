"""Instances for backup tests, made the production way (Alembic migrations, no create_all), and a source
filled like the demo: documents, the answer library (with translations), a prospect's grant and download,
and the audit chain all of that writes."""
from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_login import FlaskLoginClient

from tests.access.builders import access_link, approve, journey_to_review, request_uid, seed
from tests.conftest import TEST_PASSWORD, _close, mail_config
from tests.storage.conftest import s3_settings
from vault.storage.s3 import make_client

SECRET = "backup-test-secret-key-not-for-production"
PASSPHRASE = "correct horse battery staple for backups"


def new_bucket(endpoint: str) -> str:
    name = f"vault-backup-{uuid.uuid4().hex[:12]}"
    make_client(endpoint_url=endpoint, access_key_id="test", secret_access_key="test").create_bucket(Bucket=name)
    return name


def instance(root: Path, *, database_url: str | None = None, s3_endpoint: str | None = None,
             smtp_port: int | None = None, initialise: bool = True, **overrides):
    """An app on a new instance folder under `root`; `initialise`: keys made and the schema at the newest
    revision (as after `vault init`; made from the models and stamped, which tests/test_migrations proves
    equal and is seconds faster), else nothing exists yet (a restore target runs the real migrations).
"""
    from alembic import command

    from vault import create_app, crypto, migrate
    from vault.db import Base

    folder = root / "instance"
    folder.mkdir(parents=True)
    config = {"TESTING": True, "INSTANCE_PATH": str(folder), "SECRET_KEY": SECRET,
              "DATABASE_URL": database_url or f"sqlite:///{folder / 'vault.db'}", "WTF_CSRF_ENABLED": False,
              "SERVER_NAME": "vault.test",
              "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}}
    if s3_endpoint:
        config.update(s3_settings(s3_endpoint, new_bucket(s3_endpoint)))
    if smtp_port:
        config.update(mail_config(smtp_port, "trust@vault.test"))
    config.update(overrides)
    app = create_app(config)
    if initialise:
        crypto.create_keyring_file(folder / "master_keys.json")
        Base.metadata.create_all(app.extensions["vault.engine"])
        command.stamp(migrate.alembic_config(config["DATABASE_URL"]), "heads")
    return app


def copy_keys(source, target) -> None:
    """What an operator does for a backup made without --with-keys: the key file goes along."""
    shutil.copy(source.config["MASTER_KEY_FILE"], target.config["MASTER_KEY_FILE"])


def close(*apps) -> None:
    for app in apps:
        _close(app)


@dataclass
class Filled:
    link: str  # the prospect's personal access link (a path)
    document: str  # the granted NDA document's uid
    version: str
    email: str = "alice@buyer.example"


def fill(app, root: Path, smtp_sink) -> Filled:
    """Documents, the demo answer library, and one prospect's request, NDA, grant and download."""
    from answers.library.demo import load_demo_library
    from vault import db
    from vault.auth.service import create_user
    from vault.documents.service import current_version, get_document

    seeded = seed(app, root)
    with app.app_context():
        sess = db.session()
        create_user(sess, email="security@example.com", password=TEST_PASSWORD, role="security", actor="test")
        load_demo_library(sess, date.today())
        staff_user = create_user(sess, email="sales@vault.test", password=TEST_PASSWORD, role="sales", actor="test")
        sess.commit()
        sess.refresh(staff_user)
        sess.expunge(staff_user)
    client = app.test_client()
    journey_to_review(client, smtp_sink, seeded)
    app.test_client_class = FlaskLoginClient
    staff = app.test_client(user=staff_user)
    assert approve(app, staff, request_uid(app, "alice@buyer.example"), [seeded.soc2]).status_code == 302
    link = access_link(smtp_sink, "alice@buyer.example")
    with app.app_context():
        version = current_version(get_document(db.session(), seeded.soc2)).uid
    filled = Filled(link=link, document=seeded.soc2, version=version)
    assert download(app, filled).status_code == 200
    return filled


def download(app, filled: Filled):
    """The prospect's watermarked download, through the real route."""
    return app.test_client().get(f"{filled.link}/documents/{filled.document}/{filled.version}")


def run(app, *args: str, input: str | None = None):
    """A `vault` command on this instance (the CLI the operator types)."""
    return app.test_cli_runner().invoke(args=list(args), input=input)
