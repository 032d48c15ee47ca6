"""Finding and creating projects.

Commands find their project by walking up from the working directory to the first folder holding
``evalwheel.toml`` (like git), unless ``EVALWHEEL_PROJECT`` names one. ``EVALWHEEL_DATABASE_URL``
and ``EVALWHEEL_BLOB_DIR`` override the store's location from the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from evalwheel.errors import NotFoundError
from evalwheel.project.config import (
    CONFIG_FILE,
    ProjectConfig,
    load_config,
    render_default_config,
)
from evalwheel.store import Store

STATE_DIR = ".evalwheel"
ENV_PROJECT = "EVALWHEEL_PROJECT"
ENV_DATABASE_URL = "EVALWHEEL_DATABASE_URL"
ENV_BLOB_DIR = "EVALWHEEL_BLOB_DIR"


class ProjectNotFound(NotFoundError):
    pass


@dataclass(frozen=True)
class Project:
    root: Path
    config: ProjectConfig

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def database_url(self) -> str:
        url = os.environ.get(ENV_DATABASE_URL) or self.config.store.database_url
        if url:
            return url
        return f"sqlite:///{self.state_dir / 'store.db'}"

    @property
    def blob_dir(self) -> Path:
        configured = os.environ.get(ENV_BLOB_DIR) or self.config.store.blob_dir
        if configured:
            path = Path(configured).expanduser()
            return path if path.is_absolute() else self.root / path
        return self.state_dir / "blobs"

    def open_store(self) -> Store:
        return Store.open(self.database_url, self.blob_dir, log_dir=self.state_dir / "logs")

    @classmethod
    def find(cls, start: Path | str | None = None) -> Project:
        """The project containing ``start`` (default: the working directory), like git."""
        return find_project(Path(start) if start is not None else None)

    @classmethod
    def init(cls, directory: Path | str, name: str | None = None) -> Project:
        """Create (or complete) a project in ``directory`` and set up its store."""
        return init_project(Path(directory), name)[0]

    @classmethod
    def load(cls, root: Path) -> Project:
        root = root.resolve()
        return cls(root=root, config=load_config(root / CONFIG_FILE))


def find_project(start: Path | None = None) -> Project:
    explicit = os.environ.get(ENV_PROJECT)
    if explicit:
        root = Path(explicit).expanduser().resolve()
        if not (root / CONFIG_FILE).is_file():
            raise ProjectNotFound(f"{ENV_PROJECT}={explicit}: no {CONFIG_FILE} there")
        return Project.load(root)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return Project.load(folder)
    raise ProjectNotFound(
        f"not inside an evalwheel project: no {CONFIG_FILE} in {here} or any parent "
        "(run `evalwheel init` to create one)"
    )


def init_project(root: Path, name: str | None = None) -> tuple[Project, bool]:
    """Create (or complete) a project in ``root``; returns it and whether the config was new."""
    root = root.expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    config_path = root / CONFIG_FILE
    created = not config_path.exists()
    if created:
        config_path.write_text(render_default_config(name or root.name), encoding="utf-8")
    state = root / STATE_DIR
    state.mkdir(exist_ok=True)
    ignore = state / ".gitignore"
    if not ignore.exists():
        ignore.write_text(
            "# evalwheel's local state: not for version control\n*\n", encoding="utf-8"
        )
    project = Project.load(root)
    project.open_store().close()
    return project, created
