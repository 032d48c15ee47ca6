"""Shared fixtures: projects on SQLite (always) and PostgreSQL (when a server is given).

PostgreSQL tests need ``EVALWHEEL_TEST_POSTGRES_URL`` pointing at a server where the user may create
databases, e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``; ``.ci/run`` starts one. Each test
gets a fresh database that is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from evalwheel.project import Project, init_project
from evalwheel.project.discovery import ENV_BLOB_DIR, ENV_DATABASE_URL, ENV_PROJECT
from evalwheel.store import Store

PG_ENV = "EVALWHEEL_TEST_POSTGRES_URL"
PG_SKIP = (
    f"PostgreSQL tests skipped: set {PG_ENV}=postgresql://USER@127.0.0.1:5432/postgres "
    "(a server where USER may create databases; .ci/run starts one) to run them"
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (ENV_PROJECT, ENV_DATABASE_URL, ENV_BLOB_DIR):
        monkeypatch.delenv(name, raising=False)


def _pg_database() -> Iterator[str]:
    admin_url = os.environ.get(PG_ENV)
    if not admin_url:
        pytest.skip(PG_SKIP)
    url = make_url(admin_url).set(drivername="postgresql+psycopg")
    name = f"evalwheel_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL for an empty store, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from _pg_database()


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[Store]:
    s = Store.open(database_url, tmp_path / "blobs")
    yield s
    s.close()


@pytest.fixture
def project(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Project:
    """An initialised project (cwd inside it) whose store is on the parametrised backend."""
    root = tmp_path / "proj"
    if not database_url.startswith("sqlite"):
        monkeypatch.setenv(ENV_DATABASE_URL, database_url)
    project, _ = init_project(root, "test")
    monkeypatch.chdir(root)
    return project


@pytest.fixture
def sqlite_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "proj"
    project, _ = init_project(root, "test")
    monkeypatch.chdir(root)
    return project
