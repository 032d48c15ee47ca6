"""How a contamination report reads at a terminal: every count with its n, each method's
threshold, the signature overlap, and the most contaminated items beside their nearest match."""

from __future__ import annotations

from evalwheel.datasets.contamination import ContaminationReport, MethodCount

_CRITERION = {
    "ngram": "containment of word {n}-grams >= {t}",
    "minhash": "word Jaccard >= {t} ({how})",
    "signature": "same structural signature",
}


def _share(count: int, n: int) -> str:
    return f"{count}/{n} = {count / n:.3f}" if n else f"{count}/0"


def _method_line(m: MethodCount, report: ContaminationReport) -> str:
    how = "every pair, exact" if report.nearest_exact else "MinHash LSH, verified exactly"
    criterion = _CRITERION[m.method].format(n=report.settings.ngram, t=m.threshold, how=how)
    scored = "with a signature" if m.method == "signature" else "scored"
    return (
        f"  {m.method:10} {_share(m.contaminated, report.n_a):18} {criterion}"
        f"  ({m.scored} {scored})"
    )


def contamination_lines(report: ContaminationReport) -> list[str]:
    lines = [
        f"A  {report.a}  ({report.n_a} items)",
        f"B  {report.b}  ({report.n_b} items)",
        f"contaminated  {_share(report.contaminated, report.n_a)}  (any method)",
        *(_method_line(m, report) for m in report.methods),
    ]
    if report.self_excluded:
        lines.insert(2, "A and B are one collection: each item is compared with the others only")
    if report.n_a == 0:
        lines.insert(2, "A has no items: nothing to check")
    if any(m.method == "signature" for m in report.methods):
        lines.append(
            f"signatures    A {report.signatures_a} distinct, B {report.signatures_b} distinct, "
            f"{report.shared_signatures} shared"
        )
    else:
        lines.append("signatures    not compared (no application gives these items one)")
    if report.median_nearest_jaccard is not None:
        how = "exact" if report.nearest_exact else "a lower bound: LSH candidates only"
        lines.append(
            f"median nearest-neighbour Jaccard  {report.median_nearest_jaccard:.3f}  ({how})"
        )
    if report.max_rate is not None:
        verdict = "pass" if report.passed else "FAIL"
        rate = 0.0 if report.rate is None else report.rate
        sign = "<=" if report.passed else ">"
        lines.append(f"verdict       {verdict}: {rate:.3f} {sign} max rate {report.max_rate}")
    if report.examples:
        lines.append(f"most contaminated items of A (top {len(report.examples)}):")
    for match in report.examples:
        methods = "+".join(match.methods) or "clean"
        lines.append(
            f"  {match.a_id}  [{methods}]  Jaccard {match.jaccard:.2f}  "
            f"containment {match.containment:.2f}"
            + (f"  signature {match.signature}" if match.signature_b_id else "")
        )
        lines.append(f"    A: {match.a_text}")
        if match.b_id is not None:
            lines.append(f"    B: {match.b_id}: {match.b_text}")
        elif match.signature_b_id is not None:
            lines.append(f"    B: {match.signature_b_id} (same signature)")
    return lines
