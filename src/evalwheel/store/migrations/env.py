"""Alembic environment: runs migrations on the engine that the store hands over.

On PostgreSQL an advisory lock makes concurrent upgrades from several processes take turns; on
SQLite the store's ``BEGIN IMMEDIATE`` does the same.
"""

from alembic import context
from sqlalchemy import text

from evalwheel.store.tables import Base

MIGRATION_LOCK_KEY = 0x65766C77  # "evlw"


def run_migrations_online() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            transactional_ddl=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"))
            context.run_migrations()


run_migrations_online()
