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
    """(name, kind, file) for each dataset this application ships."""
    return [
        ("flow-benchmark", "benchmark", DATA_DIR / "benchmark.jsonl"),
        ("flow-golden", "golden", DATA_DIR / "golden.jsonl"),
    ]
