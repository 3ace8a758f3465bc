"""Alembic environment: the URL comes from the caller (vault.migrate) or VAULT_DATABASE_URL."""
import os

from alembic import context
from sqlalchemy import engine_from_config, pool

import vault.models  # noqa: F401  (registers every table on Base.metadata)
from vault.db import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or os.environ.get("VAULT_DATABASE_URL")
target_metadata = Base.metadata


def run_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
