"""How judge results read at a terminal: calibrations, panels, drift checks, judge listings.

Everything a person needs from the JSON is here too: why calibration stopped, what the gate asked
for and did not get, what made the gate unpassable before any call.
"""

from __future__ import annotations

from collections.abc import Sequence

from evalwheel.cli.output import out
from evalwheel.judges.catalog import BrokenEntry, JudgeDetails, JudgeEntry, PanelEntry
from evalwheel.judges.drift import DriftResult
from evalwheel.judges.gate import fmt
from evalwheel.judges.panel_eval import PanelMeasurement
from evalwheel.judges.results import CalibrationResult, PairStats
from evalwheel.stats.agreement import Interval


def _say(text: str) -> None:
    out.print(text, highlight=False)


def fmt_kappa(entry: Interval | dict[str, float | None] | None) -> str:
    """``0.612 [0.501, 0.712]``, or ``n/a``."""
    if isinstance(entry, dict):
        entry = Interval.model_validate({"n": 0, "method": "", **entry})
    if entry is None or entry.estimate is None:
        return "n/a"
    text = fmt(entry.estimate)
    return text if entry.ci_low is None else f"{text} [{fmt(entry.ci_low)}, {fmt(entry.ci_high)}]"


def trail_text(trail: Sequence[float | None]) -> str:
    return " → ".join("n/a" if k is None else f"{k:.2f}" for k in trail)


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def print_calibration(result: CalibrationResult) -> None:
    from evalwheel.judges.calibrate import kappa_trail

    calibration, m = result.calibration, result.metrics
    test, ref = m.test, m.test.vs_reference
    _say(
        f"calibration {calibration.id}: judge {calibration.judge_version[:12]} on {calibration.golden}"
    )
    _say(
        f"dev kappa by chosen iteration: {trail_text(kappa_trail(calibration))} "
        f"(stopped: {m.stop_reason})"
    )
    if m.stop_detail:
        _say(f"  why it stopped: {m.stop_detail}")
    skipped = (
        f", {test.n_without_reference} without a reference" if test.n_without_reference else ""
    )
    _say(
        f"test (n={test.n_items}{skipped}, judge errors {test.n_errors}): kappa vs reference "
        f"{fmt_kappa(ref.cohen_kappa)}, raw agreement {_rate(ref.raw_agreement)}, "
        f"AC1 {fmt_kappa(ref.gwet_ac1)}, TPR {_rate(ref.tpr)}, TNR {_rate(ref.tnr)}"
    )
    _pairs("judge vs", test.vs_humans, 16)
    _pairs("human ceiling", test.human_pairs, 18)
    c = test.ceiling
    if c.ratio is not None:
        _say(
            f"  judge/ceiling = {fmt(c.judge_kappa_vs_humans)} / {fmt(c.human_kappa)} = {c.ratio:.2f}"
        )
    worst = list(m.slices.items())[:3]
    if worst:
        _say("  weakest slices: " + ", ".join(f"{t} {v.agreement:.2f} (n={v.n})" for t, v in worst))
    for d in m.disagreements[:3]:
        _say(
            f"  disagreement {d.item}: judge {d.judge} vs {d.reference} — judge: "
            f"{d.judge_rationale or d.judge_error}; humans: "
            + " | ".join(d.human_rationales.values())
        )
    gate = result.gate
    _say(
        "promotion gate: "
        + ("TRUSTED" if gate.passed else "not trusted: " + "; ".join(gate.reasons))
    )
    for blocker in gate.blockers:
        _say(f"  known before any call: {blocker}")
    if gate.note:
        _say(f"  note: {gate.note}")


def _pairs(label: str, pairs: dict[str, PairStats], width: int) -> None:
    for name, stats in pairs.items():
        _say(f"  {label} {name:{width}} kappa {fmt_kappa(stats.cohen_kappa)} (n={stats.n})")


def print_panel(result: PanelMeasurement) -> None:
    _say(f"panel {result.panel_name} on {result.golden} test split (n={result.n_items})")
    for name, member in result.members.items():
        _say(
            f"  member {name:20} kappa {fmt_kappa(member.cohen_kappa)} errors={member.errors} "
            f"cost ${member.cost_usd:.4f} tokens={member.tokens}"
        )
    p = result.panel
    _say(
        f"  panel ({result.aggregation}) kappa {fmt_kappa(p.cohen_kappa_all_items)} over all items "
        f"(escalations count as disagreements); {fmt_kappa(p.cohen_kappa_decided)} on the "
        f"{p.n_decided} decided; arbiter calls {p.arbiter_calls}, escalated {p.n_escalated}; "
        f"cost ${p.cost_usd:.4f}, tokens {p.tokens}; human ceiling {p.human_ceiling}"
    )


def print_drift(name: str, result: DriftResult) -> None:
    skipped = (
        f"; {result.skipped_no_reference} test items without a reference skipped, as in calibration"
        if result.skipped_no_reference
        else ""
    )
    _say(
        f"drift check of {name} {result.judge_version[:12]} vs {result.calibration}: "
        f"n={result.n}{skipped}, {result.flipped} verdicts changed; kappa "
        f"{fmt(result.kappa_before)} → {fmt(result.kappa_after)} (Δ {fmt(result.kappa_change)} "
        f"[{fmt(result.ci_low)}, {fmt(result.ci_high)}]); McNemar p={fmt(result.mcnemar_p)}"
    )
    if result.references_changed:
        _say(
            f"  {result.references_changed} reference labels changed since calibration; both "
            "kappas use the calibration's labels"
        )
    _say("DRIFT: " + "; ".join(result.reasons) if result.drifted else "no drift")


def print_judge_list(rows: Sequence[JudgeEntry | PanelEntry | BrokenEntry]) -> None:
    for r in rows:
        if isinstance(r, BrokenEntry):
            _say(f"{r.name:24} error: {r.error}")
        elif isinstance(r, PanelEntry):
            _say(f"{r.name:24} panel of {', '.join(r.members)} (arbiter: {r.arbiter})")
        else:
            k = f"test kappa {fmt_kappa(r.test_kappa)}" if r.test_kappa else "not calibrated"
            trust = "TRUSTED" if r.trusted else "untrusted"
            _say(f"{r.name:24} {r.version[:12]} {r.model:12} {trust}  {k}")


def print_judge(name: str, details: JudgeDetails) -> None:
    judge = details.judge
    _say(f"{name} {details.version[:12]} model={judge.model} trusted={details.trusted}")
    _say(f"rubric: {judge.rubric}")
    for c in judge.criteria:
        _say(f"  - {c}")
    _say(f"few-shots: {len(judge.fewshots)}; label map: {judge.label_map or 'none'}")
    for c in details.calibrations:
        _say(
            f"{c.id} on {c.golden}: dev kappa {trail_text(c.kappa_trail)}; trusted={c.trusted}"
            + (f"; stopped: {c.stop_detail}" if c.stop_detail else "")
        )
