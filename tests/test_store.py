from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from evalwheel.store import Store, StoreError
from evalwheel.store.migrate import HEAD_REVISION, current_revision, known_revisions
from evalwheel.store.tables import Base, RecordRow


def test_schema_is_created_at_head(store: Store):
    assert current_revision(store.engine) == HEAD_REVISION
    assert {"datasets", "examples", "runs", "traces", "scores", "labels", "judges"} <= set(
        store.table_names()
    )


def test_migrations_match_the_models(store: Store):
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_head_constant_matches_the_migration_scripts():
    assert HEAD_REVISION in known_revisions()


def test_reopening_is_idempotent(store: Store, tmp_path):
    again = Store.open(store.url, tmp_path / "blobs")
    assert current_revision(again.engine) == HEAD_REVISION
    again.close()


def test_a_newer_schema_is_refused(store: Store, tmp_path):
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer"):
        Store.open(store.url, tmp_path / "blobs")


def test_write_rolls_back_on_error(store: Store):
    now = datetime.now(UTC)
    with pytest.raises(RuntimeError), store.write() as session:
        session.add(RecordRow(kind="job", id="j1", payload={}, created_at=now, updated_at=now))
        session.flush()
        raise RuntimeError("boom")
    with store.read() as session:
        assert session.get(RecordRow, ("job", "j1")) is None


def test_sqlite_runs_in_wal_mode(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "blobs")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert store.integrity_check() == "ok"
    store.close()


def test_bad_urls_give_clear_errors(tmp_path):
    with pytest.raises(StoreError, match="unsupported database"):
        Store.open("mysql://x/y", tmp_path)
    with pytest.raises(StoreError, match="invalid database URL"):
        Store.open("::not a url::", tmp_path)


def test_unreachable_postgres_is_a_store_error_without_the_password(tmp_path):
    with pytest.raises(StoreError) as info:
        Store.open("postgresql://u:secret@127.0.0.1:1/db?connect_timeout=2", tmp_path)
    assert "secret" not in str(info.value)


def test_a_store_at_an_older_revision_is_upgraded_on_open(tmp_path):
    from alembic import command

    from evalwheel.store.db import create_store_engine
    from evalwheel.store.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_store_engine(url)
    command.upgrade(alembic_config(engine), "0001")
    assert current_revision(engine) == "0001"
    engine.dispose()
    store = Store.open(url, tmp_path / "blobs")
    assert current_revision(store.engine) == HEAD_REVISION
    assert "call_cache" in store.table_names()
    store.close()
