"""From a ``[systems.NAME]`` table with a ``kind`` to a running App and its description.

The built-in kinds are ``openai``, ``prompt``, ``http`` and ``python``. More come from packages,
in the manner of Simon Willison's ``llm`` plugins: an entry point in the ``evalwheel.systems``
group names a class with a ``from_table(name, table, project_root)`` classmethod (or a function
with that signature) returning an App, ideally with a ``describe()`` method. A table with
``app = "..."`` and no ``kind`` is an application system (Flow) and is not built here.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from evalwheel.apps.interface import App
from evalwheel.errors import InputError
from evalwheel.systems.base import field_error
from evalwheel.systems.http_endpoint import HttpSystem
from evalwheel.systems.openai_chat import OpenAIChatSystem
from evalwheel.systems.prompt_template import PromptSystem
from evalwheel.systems.python_function import PythonSystem

SYSTEMS_GROUP = "evalwheel.systems"

#: A kind's builder: ``(system name, its table, the project folder) -> App``.
KindBuilder = Callable[[str, dict[str, Any], Path | None], App]

SYSTEM_KINDS: dict[str, KindBuilder] = {
    "openai": OpenAIChatSystem.from_table,
    "prompt": PromptSystem.from_table,
    "http": HttpSystem.from_table,
    "python": PythonSystem.from_table,
}


def is_configured_kind(table: dict[str, Any]) -> bool:
    """Does this ``[systems.NAME]`` table describe a configured kind (rather than an app)?"""
    return "kind" in table


def system_kinds() -> dict[str, KindBuilder]:
    """The built-in kinds and those installed packages add (a built-in name cannot be taken)."""
    kinds = dict(SYSTEM_KINDS)
    for ep in entry_points(group=SYSTEMS_GROUP):
        if ep.name in kinds:
            continue
        loaded = ep.load()
        kinds[ep.name] = getattr(loaded, "from_table", loaded)
    return kinds


def build_system_app(
    name: str, table: dict[str, Any], project_root: Path | None
) -> tuple[App, dict[str, Any]]:
    """The App for ``[systems.NAME]`` and its description (everything that decides its
    behaviour, never a secret), to be hashed into the system's version.

    ``InputError`` naming ``systems.NAME.field`` (with the file and line of evalwheel.toml in
    ``project_root`` when it can be found) for any problem with the table.
    """
    if "app" in table and "kind" in table:
        raise field_error(
            name,
            "app",
            "set kind (a configured system) or app (an application), not both",
            project_root,
        )
    kind = table.get("kind")
    if not isinstance(kind, str) or not kind:
        raise field_error(
            name, "kind", "required: one of " + ", ".join(sorted(system_kinds())), project_root
        )
    builders = system_kinds()
    builder = builders.get(kind)
    if builder is None:
        raise field_error(
            name,
            "kind",
            f"unknown kind {kind!r}; known: {', '.join(sorted(builders))} (more come from "
            f"packages in the {SYSTEMS_GROUP} entry point group)",
            project_root,
        )
    app = builder(name, table, project_root)
    if not isinstance(app, App):
        raise InputError(
            f"kind {kind!r} built a {type(app).__name__}, which is not an evalwheel App",
            field=f"systems.{name}.kind",
        )
    describe = getattr(app, "describe", None)
    description = describe() if callable(describe) else {"kind": kind, "table": table}
    return app, description
