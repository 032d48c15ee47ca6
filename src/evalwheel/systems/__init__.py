"""A user's own agent as a system, configured in evalwheel.toml with no package to write.

Each ``kind`` is one module: ``openai`` (an OpenAI-compatible chat endpoint), ``prompt`` (a Jinja2
template over the example plus a named model), ``http`` (any JSON endpoint) and ``python`` (a
``module:function``). Each builds an object implementing the ``App`` protocol from its
``[systems.NAME]`` table; ``registry.build_system_app`` is the entry point. See docs/systems.md.
"""

from evalwheel.systems.base import ConfiguredSystem, SystemCallError
from evalwheel.systems.registry import (
    SYSTEM_KINDS,
    SYSTEMS_GROUP,
    build_system_app,
    is_configured_kind,
    system_kinds,
)

__all__ = [
    "SYSTEMS_GROUP",
    "SYSTEM_KINDS",
    "ConfiguredSystem",
    "SystemCallError",
    "build_system_app",
    "is_configured_kind",
    "system_kinds",
]
