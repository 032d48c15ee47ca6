"""Cohen's kappa with a 10,000-resample bootstrap interval on 100,000 items.

evalwheel draws each resample as multinomial counts over the cells of the two raters' table
(``evalwheel.stats.agreement.cohen_kappa_ci``). The baseline, in the same run on the same data, is
the plain loop: resample item indices, call scikit-learn's ``cohen_kappa_score`` per resample.
The loop is slow, so by default it runs fewer resamples and its time is extrapolated linearly to
the full count (each resample costs the same); both intervals are printed so they can be compared.

    python bench/kappa_bootstrap.py [--items 100000] [--resamples 10000] [--sklearn-resamples 200]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--sklearn-resamples", type=int, default=200)
    parser.add_argument("--categories", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="best of N for evalwheel")
    args = parser.parse_args()

    from sklearn.metrics import cohen_kappa_score

    from evalwheel.stats.agreement import cohen_kappa_ci

    rng = np.random.default_rng(0)
    a = rng.integers(0, args.categories, args.items)
    b = np.where(rng.random(args.items) < 0.8, a, rng.integers(0, args.categories, args.items))

    ours_s = float("inf")
    for _ in range(args.repeats):
        started = time.perf_counter()
        ours = cohen_kappa_ci(a, b, resamples=args.resamples, seed=0)
        ours_s = min(ours_s, time.perf_counter() - started)

    kappas = np.empty(args.sklearn_resamples)
    started = time.perf_counter()
    point = cohen_kappa_score(a, b)
    for i in range(args.sklearn_resamples):
        idx = rng.integers(0, args.items, args.items)
        kappas[i] = cohen_kappa_score(a[idx], b[idx])
    loop_s = time.perf_counter() - started
    per_resample = loop_s / args.sklearn_resamples
    sklearn_s = per_resample * args.resamples
    low, high = np.quantile(kappas, [0.025, 0.975])

    print(f"{args.items:,} items, {args.categories} categories, {args.resamples:,} resamples")
    print(
        f"evalwheel cohen_kappa_ci        {ours_s:8.3f} s   kappa {ours.estimate:.4f} "
        f"[{ours.ci_low:.4f}, {ours.ci_high:.4f}]  (best of {args.repeats})"
    )
    extrapolated = args.sklearn_resamples != args.resamples
    note = (
        f"extrapolated from {args.sklearn_resamples} resamples in {loop_s:.2f} s"
        if extrapolated
        else "measured"
    )
    print(
        f"sklearn loop (cohen_kappa_score) {sklearn_s:8.3f} s   kappa {point:.4f} "
        f"[{low:.4f}, {high:.4f}]  ({note}; interval from {args.sklearn_resamples} resamples)"
    )
    print(
        f"interval endpoints differ by {abs(ours.ci_low - low):.4f} / {abs(ours.ci_high - high):.4f}"
        f" (kappa standard error ≈ {np.std(kappas):.4f})"
    )
    print(f"ratio sklearn loop / evalwheel: {sklearn_s / ours_s:,.0f}x")


if __name__ == "__main__":
    main()
