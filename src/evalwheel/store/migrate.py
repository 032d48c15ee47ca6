"""Schema migrations with alembic, run from the package (no alembic.ini needed).

Opening a store checks the recorded revision with one cheap query and calls alembic only when the
schema is behind, so commands don't pay alembic's start-up on every call.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, text

from evalwheel.store.db import StoreError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
HEAD_REVISION = "0006"


def alembic_config(engine: Engine):  # -> alembic.config.Config (import kept lazy)
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(engine: Engine, *, upgrade: bool = True) -> None:
    revision = current_revision(engine)
    if revision == HEAD_REVISION:
        return
    if revision is not None and revision not in known_revisions():
        raise StoreError(
            f"the store's schema revision {revision!r} is newer than this evalwheel knows "
            f"({HEAD_REVISION!r}): upgrade evalwheel"
        )
    if not upgrade:
        raise StoreError(f"the store's schema is at {revision!r}, not {HEAD_REVISION!r}")
    upgrade_to_head(engine)


def upgrade_to_head(engine: Engine) -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(None))  # type: ignore[arg-type]
    return {rev.revision for rev in script.walk_revisions()}
