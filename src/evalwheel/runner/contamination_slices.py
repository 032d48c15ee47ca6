"""The ``contamination:clean`` and ``contamination:contaminated`` slices of a run: its items
checked, once when the run is planned, against what the system learnt from (its few-shot bank,
its training set), so a report shows how the system does on items it may have seen apart from
those it cannot have."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalwheel.apps.hooks import learned_from, signature_of
from evalwheel.core.example import Example
from evalwheel.datasets.contamination import ContaminationSettings, nearest_matches

SLICE_PREFIX = "contamination:"
CLEAN = SLICE_PREFIX + "clean"
CONTAMINATED = SLICE_PREFIX + "contaminated"


def contamination_slices(
    app: Any, params: dict[str, Any], examples: Sequence[Example]
) -> dict[str, list[str]]:
    """Slice → item ids under the default thresholds; empty when the application does not say
    what the system learnt from, or it learnt from nothing."""
    learned = learned_from(app, params)
    if not learned or not examples:
        return {}
    matches = nearest_matches(examples, learned, ContaminationSettings(), signature_of([app]))
    return {
        CLEAN: [m.a_id for m in matches if not m.contaminated],
        CONTAMINATED: [m.a_id for m in matches if m.contaminated],
    }
