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


def test_upgrade_keeps_existing_documents(empty_db_url):
    """0001 -> head on a database that already holds a document (new NOT NULL columns need defaults)."""
    from sqlalchemy import text

    migrate.upgrade(empty_db_url, "0001_vault_base")
    engine = create_engine(empty_db_url)
    with engine.begin() as conn:
        conn.execute(text("insert into users (email, name, role, password_hash, active, session_token, totp_enabled,"
                          " created_at) values ('a@example.com', 'A', 'admin', 'x', true, 't', false, '2026-01-01')"))
        conn.execute(text("insert into documents (uid, type, visibility, owner_id, created_at, updated_at) "
                          "values ('d1', 'policy', 'public', 1, '2026-01-01', '2026-01-01')"))
    migrate.upgrade(empty_db_url)
    with engine.connect() as conn:
        assert conn.execute(text("select allow_unmarked_download from documents")).scalar() in (False, 0)
    engine.dispose()


def test_subprocessor_zh_fields_upgrade_keeps_rows_and_downgrades(empty_db_url):
    """0004 -> head with a listed subprocessor: the new Chinese columns arrive empty (NOT NULL, '' default)."""
    from alembic import command
    from sqlalchemy import text

    migrate.upgrade(empty_db_url, "0004_subprocessor_subscribers")
    engine = create_engine(empty_db_url)
    with engine.begin() as conn:
        conn.execute(text("insert into subprocessors (uid, name, purpose_en, purpose_zh, data_categories, location,"
                          " website, position, created_at, updated_at) values ('s1', 'AWS', 'Hosting', '',"
                          " 'All customer data', 'Ireland', '', 1, '2026-01-01', '2026-01-01')"))
    migrate.upgrade(empty_db_url)
    with engine.connect() as conn:
        row = conn.execute(text("select data_categories, location, data_categories_zh, location_zh"
                                " from subprocessors")).one()
    assert tuple(row) == ("All customer data", "Ireland", "", "")
    command.downgrade(migrate.alembic_config(empty_db_url), "0004_subprocessor_subscribers")
    with engine.connect() as conn:
        assert conn.execute(text("select location from subprocessors")).scalar() == "Ireland"
    engine.dispose()
