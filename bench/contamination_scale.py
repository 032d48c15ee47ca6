"""Contamination at scale: ``find_contamination`` on 10,000 × 10,000 items against brute force.

The data are merchant-style requests drawn from a few hundred templates with other values, over a
shared vocabulary with common boilerplate ("when an order is …"), and A holds planted copies of
B's items: some with one word changed (n-gram and Jaccard catch them), some the same template
with every value changed (only the signature does). The brute force is the exact all-pairs
computation (Python sets, every A item against every B item) timed on a sample of A and scaled
linearly to all of A — its cost is exactly linear in |A|, and running it whole would take minutes.
On that sample both ways are compared item by item: what the LSH path flags, and whether it found
the true nearest Jaccard.

    python bench/contamination_scale.py [--items 10000] [--sample 300] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from evalwheel.core.example import Example
from evalwheel.datasets.contamination import (
    ContaminationSettings,
    containment,
    jaccard,
    nearest_matches,
    ngrams,
    text_of,
    words,
)

TRIGGERS = ["an order is created", "an order is paid", "a customer signs up", "stock runs low"]
OBJECTS = ["order", "customer", "product", "variant", "draft order", "fulfillment"]


def make_templates(rng: random.Random, n: int, vocabulary: list[str]) -> list[list[str]]:
    """Templates: boilerplate, then template-specific words, with ``{v}`` slots for values."""
    templates = []
    for _ in range(n):
        head = f"when {rng.choice(TRIGGERS)} and the {rng.choice(OBJECTS)}".split()
        body = [rng.choice(vocabulary) for _ in range(rng.randint(4, 12))]
        for _ in range(rng.randint(1, 3)):
            body.insert(rng.randrange(len(body) + 1), "{v}")
        templates.append(head + body)
    return templates


def fill(rng: random.Random, template: list[str], values: list[str]) -> str:
    return " ".join(rng.choice(values) if w == "{v}" else w for w in template)


def make_sets(items: int, seed: int) -> tuple[list[Example], list[Example], dict[str, str]]:
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(4000)]
    values = [f"v{i}" for i in range(20000)]
    templates = make_templates(rng, 400, vocabulary)
    b = []
    for i in range(items):
        t = rng.randrange(len(templates))
        b.append(
            Example(
                id=f"b{i}", input=fill(rng, templates[t], values), metadata={"template": f"t{t}"}
            )
        )
    a, planted = [], {}
    fresh = make_templates(rng, 400, vocabulary)  # templates B never uses
    for i in range(items):
        roll = rng.random()
        if roll < 0.05:  # a near-copy of a B item: one word changed
            source = rng.choice(b)
            tokens = str(source.input).split()
            tokens[rng.randrange(len(tokens))] = rng.choice(vocabulary)
            text, template = " ".join(tokens), source.metadata["template"]
            planted[f"a{i}"] = "copy"
        elif roll < 0.10:  # the same template as B's, other values
            t = rng.randrange(len(templates))
            text, template = fill(rng, templates[t], values), f"t{t}"
            planted[f"a{i}"] = "template"
        else:
            t = rng.randrange(len(fresh))
            text, template = fill(rng, fresh[t], values), f"fresh{t}"
        a.append(Example(id=f"a{i}", input=text, metadata={"template": template}))
    return a, b, planted


def template_signature(example: Example) -> str | None:
    value = example.metadata.get("template")
    return str(value) if value is not None else None


def brute_force(
    sample: list[Example], b: list[Example], settings: ContaminationSettings
) -> list[tuple[float, float, bool]]:
    """(best Jaccard, best containment, same signature) per sample item, over every B item."""
    words_b = [words(text_of(e.input)) for e in b]
    sets_b = [set(w) for w in words_b]
    grams_b = [ngrams(w, settings.ngram) for w in words_b]
    signatures_b = {template_signature(e) for e in b}
    results = []
    for example in sample:
        tokens = words(text_of(example.input))
        own_set, own_grams = set(tokens), ngrams(tokens, settings.ngram)
        best_j = max(jaccard(own_set, other) for other in sets_b)
        best_c = max(containment(own_grams, other) for other in grams_b)
        results.append((best_j, best_c, template_signature(example) in signatures_b))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-perm", type=int, default=ContaminationSettings().num_perm)
    args = parser.parse_args()
    a, b, planted = make_sets(args.items, args.seed)
    settings = ContaminationSettings(num_perm=args.num_perm)

    started, cpu = time.perf_counter(), time.process_time()
    matches = nearest_matches(a, b, settings, template_signature)
    fast_s, fast_cpu = time.perf_counter() - started, time.process_time() - cpu

    sample = random.Random(args.seed + 1).sample(range(len(a)), min(args.sample, len(a)))
    started, cpu = time.perf_counter(), time.process_time()
    exact = brute_force([a[i] for i in sample], b, settings)
    sample_s, sample_cpu = time.perf_counter() - started, time.process_time() - cpu
    brute_s = sample_s * len(a) / len(sample)

    flags = {"ngram": [0, 0, 0], "minhash": [0, 0, 0]}  # [both, brute only, fast only]
    nearest_found = 0
    for i, (best_j, best_c, _) in zip(sample, exact, strict=True):
        match = matches[i]
        truth = {"ngram": best_c >= settings.containment, "minhash": best_j >= settings.jaccard}
        for method, expected in truth.items():
            got = method in match.methods
            flags[method][0] += expected and got
            flags[method][1] += expected and not got
            flags[method][2] += got and not expected
        nearest_found += abs(match.jaccard - best_j) < 1e-12
    caught = {
        kind: sum(1 for m in matches if planted.get(m.a_id) == kind and m.contaminated)
        for kind in ("copy", "template")
    }
    planted_n = {kind: sum(1 for v in planted.values() if v == kind) for kind in caught}
    flagged = sum(1 for m in matches if m.contaminated)

    print(f"items: A {len(a)} x B {len(b)} (seed {args.seed}, {settings.num_perm} permutations)")
    print(f"LSH path (find_contamination's nearest_matches): {fast_s:.2f} s ({fast_cpu:.2f} s CPU)")
    print(
        f"brute force, exact all pairs: {sample_s:.2f} s ({sample_cpu:.2f} s CPU) for "
        f"{len(sample)} items of A -> {brute_s:.0f} s for all {len(a)} (linear)"
    )
    print(
        f"speed-up (brute force / LSH path): {brute_s / fast_s:.1f}x wall, "
        f"{sample_cpu * len(a) / len(sample) / fast_cpu:.1f}x CPU"
    )
    for method, (both, brute_only, fast_only) in flags.items():
        expected = both + brute_only
        recall = both / expected if expected else 1.0
        print(
            f"  {method:8} on the sample: brute force flags {expected}, LSH path {both + fast_only}"
            f" (recall {recall:.3f}, {fast_only} flagged that brute force does not)"
        )
    exact_median = statistics.median(j for j, _, _ in exact)
    found_median = statistics.median(matches[i].jaccard for i in sample)
    print(
        f"  nearest Jaccard found exactly for {nearest_found}/{len(sample)} (the rest have no "
        f"candidate: their best is below the threshold); median {found_median:.3f} vs exact "
        f"{exact_median:.3f}"
    )
    print(
        f"planted: near-copies caught {caught['copy']}/{planted_n['copy']}, "
        f"same template other values caught {caught['template']}/{planted_n['template']}; "
        f"{flagged} of {len(a)} flagged in all"
    )


if __name__ == "__main__":
    main()
