"""Loading the user's own redaction function (``module:function`` or ``path/to/file.py:function``).

Built-in patterns cannot know a company's customer ids or internal hostnames; a hook lets the user
hide those too, with plain Python, before anything is stored.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType

from evalwheel.errors import InputError
from evalwheel.traffic.pii import Hook

FIELD = "redact_hook"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def load_hook(spec: str) -> Hook:
    """The function ``spec`` names; an ``InputError`` (field ``redact_hook``) says what is wrong."""
    target, sep, name = spec.rpartition(":")
    if not sep or not target or not _IDENTIFIER.match(name):
        raise InputError(
            f"expected module:function or path/to/file.py:function, not {spec!r}", field=FIELD
        )
    if target.endswith(".py") or "/" in target or "\\" in target:
        module = _from_file(Path(target))
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise InputError(f"cannot import {target!r}: {exc}", field=FIELD) from None
    function = getattr(module, name, None)
    if not callable(function):
        raise InputError(f"{target!r} has no function {name!r}", field=FIELD)
    return function


def _from_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise InputError(f"no such file: {path}", field=FIELD)
    spec = importlib.util.spec_from_file_location(f"evalwheel_redact_hook_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise InputError(f"cannot load {path} as Python", field=FIELD)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's file: any failure is a bad input
        raise InputError(
            f"{path} failed to load: {type(exc).__name__}: {exc}", field=FIELD
        ) from None
    return module
