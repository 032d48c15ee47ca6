"""Which project an API call works in: the one given, the folder given, or the one found from the
working directory (like git). The rule lives in ``project.opening``, shared with the judges."""

from __future__ import annotations

from evalwheel.project.opening import ProjectLike, as_project

__all__ = ["ProjectLike", "open_project"]

open_project = as_project
