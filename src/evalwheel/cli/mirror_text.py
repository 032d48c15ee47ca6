"""Mirror results as lines of text (the CLI prints them with markup off)."""

from __future__ import annotations

from evalwheel.mirror.gap import Gap
from evalwheel.mirror.readiness import Readiness
from evalwheel.mirror.summary import MirrorSummary, Preference
from evalwheel.report.mirror_report import shown_slices
from evalwheel.report.views import MIN_SLICE_N
from evalwheel.stats.estimate import Estimate


def _rate(estimate: Estimate | None) -> str:
    return "n/a" if estimate is None else estimate.text()


def _pref(pref: Preference) -> str:
    p = "n/a" if pref.sign_test_p is None else f"{pref.sign_test_p:.3g}"
    return (
        f"candidate wins {pref.wins} / losses {pref.losses} / ties {pref.ties} "
        f"(undecided {pref.undecided}); win rate {_rate(pref.win_rate)}; "
        f"loss rate {_rate(pref.loss_rate)}; net {_rate(pref.net)}; sign test p={p}"
    )


def summary_lines(summary: MirrorSummary, *, slices: bool = True) -> list[str]:
    """The mirror's headline: difference vs noise floor, the judge's preference and consistency,
    per slice, cost."""
    lines = [
        f"mirror {summary.mirror} ({summary.source}): {summary.current} (current) vs "
        f"{summary.candidate} (candidate)",
        f"pairs: {summary.pairs}, compared: {summary.analysed}; "
        + ", ".join(f"{k} {v}" for k, v in summary.relations.items()),
        f"difference rate (current vs candidate): {_rate(summary.difference_rate)}",
        f"noise floor (current vs itself):        {_rate(summary.noise_floor)}",
    ]
    beyond = summary.beyond_noise
    if beyond is not None:
        p = "n/a" if beyond.p_value is None else f"{beyond.p_value:.3g}"
        lines.append(
            f"beyond the noise: {beyond.only_a} items differ only from the candidate, "
            f"{beyond.only_b} only from itself (McNemar exact p={p})"
        )
    lines.append(_pref(summary.preference))
    if summary.judge is not None:
        j = summary.judge
        lines.append(
            f"pairwise judge: {j.judged} different pairs judged in both orders, {j.errors} errors; "
            f"order-swap consistency {_rate(j.consistent)}; cost ${j.cost_usd:.6f}"
        )
    else:
        lines.append("pairwise judge: none (different pairs stay undecided; --judge NAME)")
    cost = ", ".join(f"{k} ${v:.6f}" for k, v in summary.cost_usd.items())
    lines.append(f"cost: {cost}")
    shown, folded = shown_slices(summary)
    if slices and shown:
        lines.append(
            "per slice"
            + (f" (n ≥ {MIN_SLICE_N}; {folded} smaller slices in --json)" if folded else "")
            + ":"
        )
        for name, result in shown.items():
            pref = result.preference
            lines.append(
                f"  {name}: n={result.n}, different {_rate(result.difference_rate)}, "
                f"wins {pref.wins} / losses {pref.losses} / ties {pref.ties}, "
                f"net {_rate(pref.net)}"
            )
    return lines


def readiness_lines(report: Readiness) -> list[str]:
    rule = report.rule
    lines = [
        f"mirror {report.mirror}: per {report.window} (counts with ≥ {rule.min_pairs} decided "
        f"pairs; ready after {rule.windows} counted windows with net lower bound ≥ "
        f"{rule.min_net:g})"
    ]
    for w in report.windows:
        mark = "-" if w.passes is None else ("pass" if w.passes else "FAIL")
        lines.append(
            f"  {w.start.isoformat()}  pairs {w.pairs}  different {_rate(w.difference_rate)}  "
            f"wins {w.preference.wins} losses {w.preference.losses} ties {w.preference.ties}  "
            f"net {_rate(w.preference.net)}  [{mark}]"
        )
        if w.current_pass is not None or w.candidate_pass is not None:
            kind = "judge-corrected" if w.pass_corrected else "raw judge"
            lines.append(
                f"      pass rate ({kind}): current {_rate(w.current_pass)}, "
                f"candidate {_rate(w.candidate_pass)}"
            )
    lines.append(("READY: " if report.ready else "not ready: ") + report.reason)
    return lines


def gap_lines(gap: Gap) -> list[str]:
    kind = "judge-corrected" if gap.traffic_corrected else "raw judge"
    lines = [
        f"system {gap.system}",
        f"  benchmark ({gap.benchmark_scorer}, run {gap.benchmark_run}): {_rate(gap.benchmark)}",
        f"  traffic ({kind} {gap.traffic_scorer}, run {gap.traffic_run}): {_rate(gap.traffic)}",
        f"  gap (benchmark − traffic): {_rate(gap.gap)}",
    ]
    lines += [f"  note: {n}" for n in gap.notes]
    return lines
