"""Opening the project and store for a command, with user-facing errors instead of tracebacks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from evalwheel.cli.output import fail
from evalwheel.project import ConfigError, Project, ProjectNotFound, find_project
from evalwheel.store import Store, StoreError


def current_project() -> Project:
    try:
        return find_project()
    except (ProjectNotFound, ConfigError) as exc:
        fail(str(exc))


@contextmanager
def project_store() -> Iterator[tuple[Project, Store]]:
    project = current_project()
    try:
        store = project.open_store()
    except StoreError as exc:
        fail(str(exc))
    try:
        yield project, store
    finally:
        store.close()
