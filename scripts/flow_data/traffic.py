"""The traffic set: a production stand-in drawn from a wider, differently skewed distribution than
the benchmark.

Automations are drawn from the whole pool (the template recipes and the long-tail library) with a
heavy-tailed popularity: intents are ranked by a seeded weighted shuffle (weight: how common such
an automation is believed to be: the template recipes, which are the everyday automations, most;
then simple and multi-action shapes; branches, loops, waits and schedules least), and rank r is
drawn with weight 1/r^ZIPF_S. The weights are a judgement, not a measurement. Long-tail
intents are phrased by the traffic requests writers wrote for them (other orders, other values and
styles than the benchmark's); template intents by their phrasings through the noise model. On top:
clarify and refuse requests, other languages, several automations in one message, and earlier
turns in ``history``. Every row carries the skeleton of the automation it was drawn from as a tag
(analysis metadata: what the merchant wanted, not something a system is shown).
"""

from __future__ import annotations

import random
from typing import Any

from evalwheel_flow.agent.compact import to_workflow
from evalwheel_flow.signature import signature
from flow_data.intents import INTENTS
from flow_data.noise import VAGUE, foreign, mangle, template_combo
from flow_data.splits import primary_shape, reference_of
from flow_data.templates import CATALOG, RECIPES
from flow_data.written import WrittenItem

ROWS = 1300
ZIPF_S = 0.9
TEMPLATE_WEIGHT = 4.0
SHAPE_WEIGHT = {"simple": 2.0, "multi_action": 1.5, "multi_condition": 1.2, "else": 1.2}
# Shares of the mixture (cumulative thresholds on one draw); the rest is single automations.
CLARIFY_SHARE, REFUSE_SHARE, FOREIGN_SHARE, MULTI_SHARE = 0.11, 0.05, 0.08, 0.06


def ranked_pool(rng: random.Random) -> list[tuple[str, str]]:
    """(source, key) for every intent, most popular first."""
    pool = [("template", fn.__name__, TEMPLATE_WEIGHT) for _, fn in RECIPES]
    for item in INTENTS:
        shape = primary_shape(reference_of(item, 0)[1])
        pool.append(("written", item.key, SHAPE_WEIGHT.get(shape, 1.0)))
    # Efraimidis-Spirakis: sorting by u^(1/w) is a weighted random permutation.
    ranked = sorted(pool, key=lambda p: -(rng.random() ** (1 / p[2])))
    return [(source, key) for source, key, _ in ranked]


class _Writer:
    """Draws traffic requests; a text used before is mangled so repeats are not verbatim copies."""

    def __init__(self, rng: random.Random, written: list[WrittenItem]) -> None:
        self.rng = rng
        self.used: set[str] = set()
        traffic = [w for w in written if w.set == "traffic"]
        self.by_intent = {
            w.intent: w for w in traffic if w.expect == "workflow" and "+" not in w.intent
        }
        self.combos = [w for w in traffic if w.expect == "workflow" and "+" in w.intent]
        self.clarify = [w for w in traffic if w.expect == "clarify"]
        self.refuse = [w for w in traffic if w.expect == "refuse"]
        self.recipes = {fn.__name__: fn for _, fn in RECIPES}

    def fresh(self, text: str) -> tuple[str, list[str]]:
        if text not in self.used:
            self.used.add(text)
            return text, []
        mangled, tags = mangle(text, self.rng, force=True)
        self.used.add(mangled)
        return mangled, tags

    def written(self, item: WrittenItem) -> tuple[str, list[str]]:
        text, tags = self.fresh(item.request)
        return text, [*tags, "source:written", f"style:{item.style}"]

    def automation(self, source: str, key: str) -> tuple[str, list[str]]:
        if source == "written":
            item = self.by_intent[key]
            reference = item.reference()
            assert reference is not None
            text, tags = self.written(item)
            return text, [*tags, f"skeleton:{signature(reference)}"]
        texts, answer, _ = self.recipes[key](self.rng)
        text, tags = mangle(self.rng.choice(texts), self.rng)
        text, more = self.fresh(text)
        sig = signature(to_workflow(answer, CATALOG).to_data())
        return text, [*tags, *more, "source:template", f"skeleton:{sig}"]


def traffic(written: list[WrittenItem], forbidden: set[str], seed: int = 7) -> list[dict[str, Any]]:
    """Traffic rows; ``forbidden`` (the benchmark's test requests) never appear verbatim."""
    rng = random.Random(seed)
    pool = ranked_pool(rng)
    weights = [1 / (rank + 1) ** ZIPF_S for rank in range(len(pool))]
    writer = _Writer(rng, written)
    writer.used |= forbidden
    merchants = [f"m{i:04d}" for i in range(1, 301)]
    rows = []
    for i in range(1, ROWS + 1):
        roll = rng.random()
        language = "en"
        if roll < CLARIFY_SHARE:
            if rng.random() < 0.7:
                item = rng.choice(writer.clarify)
                text, tags = writer.written(item)
                tags += [f"topic:{item.intent}"]
            else:
                text, tags = writer.fresh(rng.choice(VAGUE))
                tags += ["source:vague", "vague"]
            tags += ["expect:clarify"]
        elif roll < CLARIFY_SHARE + REFUSE_SHARE:
            item = rng.choice(writer.refuse)
            text, tags = writer.written(item)
            tags += ["expect:refuse", f"topic:{item.intent}"]
        elif roll < CLARIFY_SHARE + REFUSE_SHARE + FOREIGN_SHARE:
            text, language = foreign(rng)
            text, tags = writer.fresh(text)
            tags += ["source:foreign", f"language:{language}", "expect:workflow"]
        elif roll < CLARIFY_SHARE + REFUSE_SHARE + FOREIGN_SHARE + MULTI_SHARE:
            if rng.random() < 0.6:
                item = rng.choice(writer.combos)
                text, tags = writer.written(item)
                tags += [f"intent:{item.intent}"]
            else:
                text, tags = writer.fresh(template_combo(rng))
                tags += ["source:template"]
            tags += ["multi-intent", "expect:workflow"]
        else:
            source, key = rng.choices(pool, weights)[0]
            text, tags = writer.automation(source, key)
            tags += [f"intent:{key}", "expect:workflow"]
        merchant = (
            merchants[min(int(rng.paretovariate(1.2)) - 1, len(merchants) - 1)]
            if rng.random() < 0.5
            else rng.choice(merchants)
        )
        row: dict[str, Any] = {
            "id": f"traffic-{i:05d}",
            "input": text,
            "merchant": merchant,
            "monthly_orders": int(rng.lognormvariate(5, 1.3)),
            "language": language,
            "tags": sorted(set(tags)),
        }
        if rng.random() < 0.15:
            row["history"] = [
                {"role": "user", "content": rng.choice(VAGUE)},
                {
                    "role": "assistant",
                    "content": "Which event should start it, and what should happen?",
                },
            ]
            row["tags"] = sorted({*row["tags"], "multi-turn"})
        rows.append(row)
    leaked = {r["input"] for r in rows} & forbidden
    if leaked:
        raise AssertionError(f"traffic repeats test requests verbatim: {sorted(leaked)[:3]}")
    return rows
