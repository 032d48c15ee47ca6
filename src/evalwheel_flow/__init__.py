"""The Flow reference application: a merchant's request → a trigger → condition → action workflow.

It reaches evalwheel only through the platform's application interface (entry point group
``evalwheel.apps``); the platform never imports it. This first slice ships the example datasets that
``evalwheel demo`` imports; the language, simulator and agent arrive with the Flow issue.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DATA_DIR = Path(str(files(__name__) / "data"))


def example_datasets() -> list[tuple[str, str, Path]]:
    """(name, kind, file) for each dataset this application ships (see data/README.md)."""
    shipped = [
        ("flow-benchmark", "benchmark", DATA_DIR / "benchmark.jsonl"),
        ("flow-traffic", "traffic", DATA_DIR / "traffic.jsonl"),
        ("flow-workflows", "workflows", DATA_DIR / "workflows.jsonl"),
        ("flow-golden", "golden", DATA_DIR / "golden.jsonl"),
        ("flow-conversations", "conversations", DATA_DIR / "conversations.jsonl"),
    ]
    return [entry for entry in shipped if entry[2].exists()]


#: Columns that carry an Example field under another name, per shipped file.
FIELD_MAPS: dict[str, dict[str, str]] = {"flow-benchmark": {"input": "request"}}
