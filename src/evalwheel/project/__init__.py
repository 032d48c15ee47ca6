"""Projects: a folder with ``evalwheel.toml`` and its ``.evalwheel/`` state, found like git finds a repo."""

from evalwheel.project.config import ConfigError, ProjectConfig, load_config
from evalwheel.project.discovery import Project, ProjectNotFound, find_project, init_project

__all__ = [
    "ConfigError",
    "Project",
    "ProjectConfig",
    "ProjectNotFound",
    "find_project",
    "init_project",
    "load_config",
]
