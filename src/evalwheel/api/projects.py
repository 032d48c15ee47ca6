"""Which project an API call works in: the one given, the folder given, or the one found from the
working directory (like git)."""

from __future__ import annotations

import os

from evalwheel.project import Project

ProjectLike = Project | str | os.PathLike[str] | None


def open_project(project: ProjectLike = None) -> Project:
    """A ``Project`` from a project, a folder inside one, or None (search from the cwd)."""
    if isinstance(project, Project):
        return project
    return Project.find(None if project is None else os.fspath(project))
