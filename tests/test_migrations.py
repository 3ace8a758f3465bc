"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import vault.models  # noqa: F401
from vault import migrate
from vault.db import Base


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return request.getfixturevalue("postgres_url")


def test_migrations_match_models(empty_db_url):
    migrate.upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


def test_downgrade_to_base_and_up_again(empty_db_url):
    migrate.upgrade(empty_db_url)
    from alembic import command
    command.downgrade(migrate.alembic_config(empty_db_url), "base")
    migrate.upgrade(empty_db_url)
