"""Opening the store: engine set-up for SQLite (WAL) and PostgreSQL, sessions, schema upgrades.

SQLite is the embedded default. Several processes may write to it at once: WAL lets readers go on
while one writer works, ``busy_timeout`` makes a second writer wait instead of failing, and write
transactions start with ``BEGIN IMMEDIATE`` so that two writers never both read and then deadlock
upgrading to a write lock. Read-only sessions use a deferred ``BEGIN`` so they never wait for a
writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, StatementError
from sqlalchemy.orm import Session

from evalwheel.errors import EvalwheelError
from evalwheel.redaction import redact_text, redact_url
from evalwheel.store.blobs import BlobStore
from evalwheel.store.error_log import summarize_db_error

BUSY_TIMEOUT_MS = 60_000
_READ_ONLY = "evalwheel_read_only"


class StoreError(EvalwheelError):
    """The store cannot be opened or used (bad URL, unreachable server, schema too new)."""


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how transactions start (pysqlite would emit its own
        # deferred BEGIN lazily, too late for a write lock).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(_READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def create_store_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018 - a port that is not a number raises here, not at connect time
    except (ArgumentError, ValueError) as exc:
        raise StoreError(f"invalid database URL {redact_url(url)!r}: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            return create_engine(parsed, pool_pre_ping=True)
        except ModuleNotFoundError as exc:
            raise StoreError(
                f"PostgreSQL needs a driver: pip install 'evalwheel[postgres]' ({exc})"
            ) from None
    raise StoreError(
        f"unsupported database {backend!r} in {redact_url(url)!r}: use sqlite:/// or postgresql://"
    )


class Store:
    """The project's records (SQL) and blobs (files). Open with ``Store.open``."""

    def __init__(
        self, engine: Engine, blobs: BlobStore, url: str, log_dir: Path | None = None
    ) -> None:
        self.engine = engine
        self.blobs = blobs
        self.url = url
        self.log_dir = log_dir if log_dir is not None else blobs.root.parent / "logs"
        self._read_engine = engine.execution_options(**{_READ_ONLY: True})

    @classmethod
    def open(
        cls, url: str, blob_dir: Path, *, upgrade: bool = True, log_dir: Path | None = None
    ) -> Store:
        """Connect and bring the schema to the current version (migrations run only when needed)."""
        from evalwheel.store.migrate import ensure_schema

        engine = create_store_engine(url)
        store = cls(engine, BlobStore(blob_dir), url, log_dir)
        try:
            ensure_schema(engine, upgrade=upgrade)
        except OperationalError as exc:
            engine.dispose()
            raise StoreError(
                f"cannot open the store at {store.display_url}: {redact_text(str(exc.orig))}"
            ) from None
        return store

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, for messages and logs."""
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in one write transaction: committed on success, rolled back on any error.

        A database error becomes a one-line ``StoreError`` (the statement and its parameters, which
        may hold model output, go to the log file only)."""
        with (
            self._database_errors(),
            Session(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session in a read transaction that never waits for a writer."""
        with (
            self._database_errors(),
            Session(self._read_engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def reader(self) -> Iterator[Connection]:
        """A Core connection in a read transaction, for hot paths where a Session costs too much."""
        with self._database_errors(), self._read_engine.begin() as conn:
            yield conn

    @contextmanager
    def _database_errors(self) -> Iterator[None]:
        try:
            yield
        except (DBAPIError, StatementError) as exc:
            raise StoreError(summarize_db_error(exc, self.log_dir, self.display_url)) from None

    def table_names(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    def integrity_check(self) -> str:
        """SQLite's own check ('ok' when sound); PostgreSQL is trusted to keep itself consistent."""
        if self.dialect != "sqlite":
            return "ok"
        with self.engine.connect() as conn:
            return str(conn.execute(text("PRAGMA integrity_check")).scalar())

    def close(self) -> None:
        self.engine.dispose()
