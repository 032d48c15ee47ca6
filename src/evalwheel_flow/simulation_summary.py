"""What a workflow does when run on simulated events, in one line for a judge or a reviewer.

The events are the oracle's suite for the workflow against itself (boundary values of its own
conditions over random shops), so a summary like "actions ran on 6 of 6 events" shows a condition
that never filters, and "on 0 of 80" one that never passes, without needing a reference.

It runs under the oracle's limits (``evalwheel_flow.limits``): a workflow over one is summarised as
far as it ran, with the limit named, in words that are the same on every machine (the judge's
prompt, and so its cache key, depend on them).
"""

from __future__ import annotations

import json
from collections import Counter

from evalwheel_flow.catalog import Catalog, load_catalog
from evalwheel_flow.equivalence import build_suite
from evalwheel_flow.limits import ORACLE_WORK, WorkBudget, WorkLimitExceeded, oversize
from evalwheel_flow.shop.executor import Execution, execute
from evalwheel_flow.workflow import Workflow

MAX_KINDS = 5


def _signature(effect: dict) -> str:
    args = {k: v for k, v in sorted(effect.items()) if k not in ("action", "target")}
    shown = ", ".join(f"{k}={json.dumps(v)[:60]}" for k, v in args.items())
    return f"{effect.get('action')}({shown})"


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    """Most frequent first, ties by name: the same text in every process (the judge's prompt, and
    so the call cache key, depend on it)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def simulate_summary(workflow: Workflow, catalog: Catalog | None = None) -> str:
    catalog = catalog or load_catalog()
    too_big = oversize(workflow)
    if too_big:
        return f"not simulated: {too_big}"
    try:
        events = build_suite(workflow, workflow, catalog)
    except WorkLimitExceeded as exc:
        return f"not simulated: {exc}"
    if not events:
        return "no events to simulate (no known trigger)"
    budget = WorkBudget(ORACLE_WORK, "simulating this workflow")
    results: list[Execution] = []
    stopped = None
    for event in events:
        try:
            results.append(execute(workflow, event, catalog, budget))
        except WorkLimitExceeded as exc:
            stopped = f"stopped after {len(results)} of {len(events)} events: {exc}"
            break
    acted = [r for r in results if r.effects]
    errors = Counter(r.error for r in results if r.error)
    kinds: Counter[str] = Counter()
    for r in acted:
        for signature in sorted({_signature(e) for e in r.effects}):
            kinds[signature] += 1
    trigger = events[0].trigger.rsplit("::", 1)[-1]
    parts = [f"{len(events)} generated {trigger} events; actions ran on {len(acted)}"]
    if kinds:
        parts.append(
            "effects: "
            + "; ".join(f"{sig} on {n}" for sig, n in _ranked(kinds)[:MAX_KINDS])
            + ("; …" if len(kinds) > MAX_KINDS else "")
        )
    if errors:
        parts.append("runtime errors: " + "; ".join(f"{e} ({n})" for e, n in errors.most_common(3)))
    if stopped:
        parts.append(stopped)
    return ", ".join(parts)
