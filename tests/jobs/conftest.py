import pytest

from tests.jobs.handlers import create_effect_tables


@pytest.fixture
def jobs_app(any_db_app):
    """any_db_app (SQLite and PostgreSQL, JOBS_RUN=inline) with the effect tables of tests/jobs/handlers.py."""
    create_effect_tables(any_db_app.extensions["vault.engine"])
    return any_db_app


def count(app, sql: str, **params) -> int:
    from sqlalchemy import text
    with app.extensions["vault.engine"].connect() as conn:
        return conn.execute(text(sql), params).scalar()
