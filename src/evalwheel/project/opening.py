"""Which project a library call works in, and its store for the length of the call.

Library functions take ``project=`` as a ``Project``, a folder inside one, or None (found from the
working directory, like git), and optionally an open ``store`` to share one connection across
calls; they open and close the project's own store otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from evalwheel.project.discovery import Project, find_project
from evalwheel.store.db import Store

ProjectLike = Project | str | os.PathLike[str] | None


def as_project(project: ProjectLike) -> Project:
    """A ``Project`` from a project, a folder inside one, or None (found from the cwd)."""
    if isinstance(project, Project):
        return project
    return find_project(None if project is None else Path(os.fspath(project)))


@contextmanager
def project_and_store(
    project: ProjectLike, store: Store | None = None
) -> Iterator[tuple[Project, Store]]:
    """The project and an open store: ``store`` when given (left open), else the project's own
    (closed on exit)."""
    found = as_project(project)
    if store is not None:
        yield found, store
        return
    opened = found.open_store()
    try:
        yield found, opened
    finally:
        opened.close()
