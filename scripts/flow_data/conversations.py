"""Flow's multi-turn conversation set: the plans given to conversation writers, and the rows
assembled from what they wrote.

A plan is drawn with a fixed seed: a scenario (direct, clarify, multi_clarify, correction,
change_mind, refuse, failure), an automation (a long-tail intent or a template recipe, spread
across the pool), parameter draws (a second draw of the same intent is the wrong or the old
workflow), the facts a clarify opening holds back, a merchant and a writing style. Writers see
only ``conversation_orders_{k}.jsonl`` (plain-English plans: no references, handles or Flow
syntax) and return ``conversation_lines_{k}.jsonl``; the assembler joins the text with the
workflows drawn here and refuses rows whose text breaks the plan (a held-back fact in the
opening, a fact of the final workflow never said by the merchant).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalwheel.synth.verify import mentions
from evalwheel_flow.agent.compact import to_workflow
from evalwheel_flow.scoring import score
from evalwheel_flow.signature import signature
from evalwheel_flow.synth_hooks import artifact_facts
from evalwheel_flow.validator import validate
from evalwheel_flow.workflow import Workflow
from flow_data.intents import INTENTS
from flow_data.templates import CATALOG, RECIPES
from flow_data.topics import REFUSE

HERE = Path(__file__).resolve().parent
ORDER_FILES = [HERE / f"conversation_orders_{k}.jsonl" for k in range(1, 5)]
LINE_FILES = [HERE / f"conversation_lines_{k}.jsonl" for k in range(1, 5)]
SEED = 20261215
SCENARIOS = {
    "direct": 42,
    "clarify": 58,
    "multi_clarify": 16,
    "correction": 32,
    "change_mind": 32,
    "refuse": 20,
    "failure": 22,
}
STYLES = {
    "terse": "Very short messages, few words, no greetings, no punctuation to speak of.",
    "chatty": "Friendly and talkative, mentions their shop and day, uses exclamation marks.",
    "typos": "Types fast on a phone: misspellings, missing capitals, dropped words "
    "(but the values listed below are typed exactly).",
    "non_native": "English is a second language: slightly odd grammar and word order, polite.",
    "rambling": "Long messages that wander into context and side remarks before the point.",
    "polite": "Formal and courteous, full sentences, thanks the assistant.",
    "plain": "Ordinary, clear, businesslike messages.",
    "busy": "In a hurry: clipped sentences, lowercase, wants it done now.",
}
MAX_DRAWS = 60
MIN_ROWS = 200


@dataclass(frozen=True)
class Automation:
    """One parameter draw of an intent or template recipe."""

    source: str  # "written" (intent library) or "template"
    key: str
    family: str
    variant: int
    description: str
    reference: dict[str, Any]

    @property
    def facts(self) -> list[str]:
        """The workflow's literal values that the description states (a wait is stated in days
        but stored in minutes: such values are not asked of the merchant's words)."""
        return [f for f in artifact_facts(self.reference) if plan_mentions(self.description, f)]


@dataclass(frozen=True)
class Pool:
    """A draw function per automation key."""

    entries: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (source, family)

    def draw(self, key: str, variant: int) -> Automation:
        source, family = self.entries[key]
        rng = random.Random(f"conv:{key}:{variant}")
        if source == "written":
            item = next(i for i in INTENTS if i.key == key)
            description, document = item.make(rng)
        else:
            fn = next(fn for _, fn in RECIPES if fn.__name__ == key)
            texts, answer, _ = fn(rng)
            description = texts[0]
            document = to_workflow(answer, CATALOG).to_data()
        return Automation(source, key, family, variant, description, document)


def make_pool() -> Pool:
    entries = {i.key: ("written", i.family) for i in INTENTS}
    entries.update({fn.__name__: ("template", family) for family, fn in RECIPES})
    return Pool(entries)


def _rank(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _number(fact: str) -> bool:
    return re.fullmatch(r"-?\d+(\.\d+)?", fact) is not None


def _plan_words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold())


def plan_mentions(text: str, fact: str) -> bool:
    """The rule the stored plans were drawn with (frozen: the writers wrote for those plans). It
    splits words at underscores, unlike ``evalwheel.synth.verify.mentions``, which checks the
    written text."""
    if _number(fact):
        return (
            re.search(rf"(?<![\d.]){re.escape(fact)}(\.0+)?(?![\d])", text.replace(",", ""))
            is not None
        )
    wanted = _plan_words(fact)
    if not wanted:
        return fact.casefold() in text.casefold()
    have = _plan_words(text)
    n = len(wanted)
    return any(have[i : i + n] == wanted for i in range(len(have) - n + 1))


def holdable(automation: Automation) -> list[str]:
    """Facts a merchant could plausibly leave out and give when asked: amounts, counts, tags,
    addresses, texts. Not enum values (HIGH, SUBSCRIBED), codes or 0/1, and not a fact that
    another fact's wording contains (the opening could not say the one without the other)."""
    facts = automation.facts
    out = []
    for fact in facts:
        if _number(fact) and float(fact) in (0.0, 1.0):
            continue
        if not _number(fact) and (fact.isupper() or len(fact) < 3):
            continue
        if any(other != fact and plan_mentions(other, fact) for other in facts):
            continue
        if facts.count(fact) > 1:
            continue
        out.append(fact)
    return out


def changed(old: Automation, new: Automation) -> list[tuple[str, str]]:
    """(old value, new value) where two draws differ, position by position."""
    a, b = old.facts, new.facts
    if len(a) != len(b):
        return []
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


def behaves_alike(a: Automation, b: Automation) -> bool:
    return score("workflow", b.reference, "workflow", a.reference).passed


def second_draw(
    pool: Pool, first: Automation, avoid: tuple[Automation, ...] = ()
) -> Automation | None:
    """A draw of the same automation with one or two values changed (a realistic slip or change
    of mind), which behaves differently from ``first`` and from everything in ``avoid``."""
    best: Automation | None = None
    for variant in range(first.variant + 1, first.variant + MAX_DRAWS):
        other = pool.draw(first.key, variant)
        diff = changed(first, other)
        if not diff or len(diff) > 2 or signature(other.reference) != signature(first.reference):
            continue
        if any(
            not mentions_free(x, other.facts) or not mentions_free(y, first.facts) for x, y in diff
        ):
            continue
        if redact(first.description, [x for x, _ in diff], "[v]") != redact(
            other.description, [y for _, y in diff], "[v]"
        ):
            continue  # the descriptions differ beyond the changed values
        if behaves_alike(other, first) or any(behaves_alike(other, a) for a in avoid):
            continue
        if len(diff) == 1:
            return other
        best = best or other
    return best


def mentions_free(old_value: str, new_facts: list[str]) -> bool:
    """The old value does not hide inside the new facts (so the new text can avoid it)."""
    return not any(plan_mentions(f, old_value) for f in new_facts)


def redact(text: str, values: list[str], mark: str = "[?]") -> str:
    """``text`` with each value replaced by [?] (a number as a whole number, with its $)."""
    for value in values:
        if _number(value):
            pattern = rf"\$?(?<![\d.]){re.escape(value)}(\.0+)?(?![\d])"
        else:
            pattern = re.escape(value)
        text = re.sub(pattern, mark, text, flags=re.IGNORECASE)
    return text


def _values(values: list[str]) -> str:
    return ", ".join(f"«{v}»" for v in values)


def _shop_detail(rng: random.Random) -> str:
    return rng.choice(
        [
            "a candle shop",
            "a coffee roastery",
            "a skincare brand",
            "a poster and print shop",
            "a sock subscription store",
            "a tea shop",
            "a ceramics studio",
            "an outdoor gear store",
            "a kids' clothing boutique",
            "a pet supplies store",
            "a bike parts shop",
            "a vintage furniture store",
        ]
    )


@dataclass
class Plan:
    """One conversation's plan: the writer's order, and what the assembler needs to join it."""

    id: str
    scenario: str
    style: str
    merchant: str
    key: str
    family: str
    turns: list[dict[str, Any]]  # {"role", "plan", "outcome"?, "automation"?, "must", "must_not"}
    final: Automation | None
    label: str
    expect: str
    held: list[str] = field(default_factory=list)

    def order(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "style": self.style,
            "style_note": STYLES[self.style],
            "turns": [{"role": t["role"], "plan": t["plan"]} for t in self.turns],
        }


def _user(plan: str, must: list[str] | None = None, must_not: list[str] | None = None) -> dict:
    text = plan
    if must:
        text += f" It must contain these values exactly as written: {_values(must)}."
    if must_not:
        text += f" It must NOT contain (or hint at) these values: {_values(must_not)}."
    return {"role": "user", "plan": text, "must": must or [], "must_not": must_not or []}


def _built(automation: Automation, lead: str) -> dict:
    return {
        "role": "assistant",
        "plan": f"{lead} The agent says in one to three plain sentences what the automation it "
        f"built does, with its values: {automation.description}",
        "outcome": "workflow",
        "automation": automation,
    }


def _asks(question: str) -> dict:
    return {"role": "assistant", "plan": question, "outcome": "clarify"}


def _close(rng: random.Random, happy: bool) -> dict | None:
    """The merchant's last word, or None: some merchants just leave."""
    if rng.random() < 0.15:
        return None
    if happy:
        return _user("The merchant says it looks right and thanks the agent, briefly.")
    return _user(
        rng.choice(
            [
                "The merchant gives up: says this is not working and they will set it up "
                "themselves.",
                "The merchant is annoyed that it is still wrong and says they will come back "
                "later or ask support instead.",
                "The merchant says forget it, it keeps getting it wrong.",
            ]
        )
    )


def _opening(automation: Automation, lead: str = "") -> dict:
    return _user(
        f"{lead}The merchant's first message asks for this automation in their own words "
        f"(no technical terms): {automation.description}",
        must=automation.facts,
    )


def build_turns(
    scenario: str, rng: random.Random, pool: Pool, base: Automation
) -> tuple[list[dict], Automation | None, list[str]] | None:
    """The turns of one conversation, its final (wanted) workflow and the held-back facts; None
    when this automation cannot carry the scenario."""
    if scenario == "direct":
        turns = [_opening(base), _built(base, "The agent built exactly what was asked.")]
        return [*turns, _close(rng, True)], base, []
    if scenario in ("clarify", "multi_clarify"):
        count = 1 if scenario == "clarify" else 2
        options = holdable(base)
        if len(options) < count:
            return None
        held = sorted(rng.sample(options, count), key=base.facts.index)
        said = [f for f in base.facts if f not in held]
        turns = [
            _user(
                "The merchant's first message asks for the automation below, but leaves out "
                f"the value(s) {_values(held)}: the merchant speaks vaguely about that part "
                "(e.g. 'big orders', 'the team', 'a tag') as if it were obvious. Automation "
                f"(the left-out part is marked [?]): {redact(base.description, held)}",
                must=said,
                must_not=held,
            )
        ]
        for n, fact in enumerate(held):
            rest = held[n + 1 :]
            turns.append(
                _asks(
                    "The agent asks one short question for the missing detail marked [?] in "
                    "the automation below (it does not guess a value). Automation: "
                    f"{redact(redact(base.description, rest, '[asked later]'), [fact])}"
                )
            )
            turns.append(
                _user(
                    "The merchant answers the question, giving only that value.",
                    must=[fact],
                    must_not=rest,
                )
            )
        turns.append(_built(base, "The agent built the automation."))
        return [*turns, _close(rng, True)], base, held
    if scenario in ("correction", "change_mind"):
        other = second_draw(pool, base)
        if other is None:
            return None
        diff = changed(base, other)
        old = [x for x, _ in diff]
        new = [y for _, y in diff]
        if scenario == "correction":
            wanted, wrong = other, base
            turns = [
                _opening(wanted),
                _built(wrong, "The agent built the automation but mis-read a value."),
                _user(
                    "The merchant points out the mistake: the agent used "
                    f"{_values(old)}, but they asked for {_values(new)}.",
                    must=new,
                ),
                _built(wanted, "The agent apologises briefly and fixes it."),
            ]
            return [*turns, _close(rng, True)], wanted, []
        turns = [
            _opening(base),
            _built(base, "The agent built exactly what was asked."),
            _user(
                "The merchant changes their mind about a value (a new idea, a colleague's "
                f"remark...): instead of {_values(old)} they now want {_values(new)}.",
                must=new,
            ),
            _built(other, "The agent rebuilds it with the new value."),
        ]
        return [*turns, _close(rng, True)], other, []
    if scenario == "failure":
        wanted = second_draw(pool, base)
        if wanted is None:
            return None
        new = [y for _, y in changed(base, wanted)]
        old = [x for x, _ in changed(base, wanted)]
        if rng.random() < 0.25:  # the agent wrongly says Flow cannot do it
            turns = [
                _opening(wanted),
                {
                    "role": "assistant",
                    "plan": "The agent wrongly says Flow cannot do this automation and "
                    "suggests an app from the app store instead (the merchant asked for: "
                    f"{wanted.description})",
                    "outcome": "refuse",
                },
                _user(
                    "The merchant insists that Flow can do this, restating the important values.",
                    must=new,
                ),
                {
                    "role": "assistant",
                    "plan": "The agent repeats, politely, that it cannot build this in Flow.",
                    "outcome": "refuse",
                },
                _close(rng, False),
            ]
            return turns, wanted, []
        third = second_draw(pool, base, avoid=(wanted,)) if rng.random() < 0.5 else base
        turns = [
            _opening(wanted),
            _built(base, "The agent built the automation but mis-read a value."),
            _user(
                f"The merchant points out the mistake: the agent used {_values(old)}, but "
                f"they asked for {_values(new)}.",
                must=new,
            ),
            _built(
                third or base,
                "The agent apologises and says it fixed it, but the automation is still "
                "wrong (it does not notice).",
            ),
        ]
        if rng.random() < 0.4:
            turns += [
                _user(
                    "The merchant, more irritated, says it is still wrong and repeats the "
                    "values they want.",
                    must=new,
                ),
                _built(base, "The agent tries again and is still wrong (it does not notice)."),
            ]
        return [*turns, _close(rng, False)], wanted, []
    raise ValueError(scenario)


def _refuse_turns(rng: random.Random, description: str) -> list[dict]:
    turns = [
        _user(f"The merchant asks for this, in their own words: {description}"),
        {
            "role": "assistant",
            "plan": "The agent explains briefly and kindly that Flow cannot do this (Flow runs "
            "store automations: a store event, conditions, actions) and, if it fits, suggests "
            "where to look instead. No workflow.",
            "outcome": "refuse",
        },
    ]
    if rng.random() < 0.7:
        turns.append(
            _user(
                rng.choice(
                    [
                        "The merchant accepts it, a little disappointed.",
                        "The merchant says ok, thanks for being clear.",
                        "The merchant says that's a shame and asks nothing more.",
                    ]
                )
            )
        )
    return turns


def make_plans() -> list[Plan]:
    """Every conversation plan, in a fixed order with fixed draws."""
    rng = random.Random(SEED)
    pool = make_pool()
    keys = sorted(pool.entries, key=_rank)
    use = {k: 0 for k in keys}
    merchants = [f"m{i:04d}" for i in range(1, 301)]
    scenarios = [s for s, n in SCENARIOS.items() for _ in range(n)]
    rng.shuffle(scenarios)
    refuse_topics = sorted(REFUSE, key=lambda t: _rank(t[0]))
    plans: list[Plan] = []
    styles = sorted(STYLES)
    for n, scenario in enumerate(scenarios, start=1):
        style = rng.choice(styles)
        merchant = (
            merchants[min(int(rng.paretovariate(1.2)) - 1, len(merchants) - 1)]
            if rng.random() < 0.5
            else rng.choice(merchants)
        )
        conv_id = f"conv-{n:04d}"
        if scenario == "refuse":
            topic, description = refuse_topics[
                sum(p.scenario == "refuse" for p in plans) % len(refuse_topics)
            ]
            turns = _refuse_turns(rng, description)
            plans.append(
                Plan(
                    conv_id,
                    scenario,
                    style,
                    merchant,
                    topic,
                    "refuse",
                    turns,
                    None,
                    "success",
                    "refuse",
                )
            )
            continue
        for key in sorted(keys, key=lambda k: (use[k], rng.random())):
            base = pool.draw(key, rng.randrange(1000))
            built = build_turns(scenario, rng, pool, base)
            if built is not None:
                break
        else:
            raise RuntimeError(f"no automation can carry {scenario}")
        use[key] += 1
        turns, final, held = built
        turns = [t for t in turns if t is not None]
        if scenario != "direct" and scenario != "failure" and rng.random() < 0.1:
            turns[0]["plan"] = "(The merchant opens with a short hello first.) " + turns[0]["plan"]
        label = "failure" if scenario == "failure" else "success"
        plans.append(
            Plan(
                conv_id,
                scenario,
                style,
                merchant,
                key,
                base.family,
                turns,
                final,
                label,
                "workflow",
                held,
            )
        )
    return plans


def write_orders(plans: list[Plan], parts: int = 4) -> None:
    """The writers' orders, dealt into ``parts`` files of about equal size (by turns)."""
    chunks: list[list[Plan]] = [[] for _ in range(parts)]
    load = [0] * parts
    for plan in plans:
        k = load.index(min(load))
        chunks[k].append(plan)
        load[k] += len(plan.turns)
    for path, chunk in zip(ORDER_FILES, chunks, strict=True):
        path.write_text(
            "".join(
                json.dumps(p.order(), sort_keys=True, ensure_ascii=False) + "\n" for p in chunk
            ),
            encoding="utf-8",
        )


def stored_orders() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in ORDER_FILES:
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return rows


def read_lines(paths: list[Path]) -> dict[str, list[str]]:
    """The writers' text per conversation id."""
    out: dict[str, list[str]] = {}
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["id"] in out:
                raise ValueError(f"{path}:{n}: {row['id']} written twice")
            out[row["id"]] = row["turns"]
    return out


def problems_of(plan: Plan, texts: list[str]) -> list[str]:
    """Why the written text does not fit the plan (empty: it fits)."""
    if len(texts) != len(plan.turns):
        return [f"{len(texts)} turns written, {len(plan.turns)} planned"]
    found = []
    for n, (turn, text) in enumerate(zip(plan.turns, texts, strict=True), start=1):
        if not isinstance(text, str) or not text.strip():
            found.append(f"turn {n} is empty")
            continue
        found += [f"turn {n} lacks {f!r}" for f in turn.get("must", []) if not mentions(text, f)]
        found += [f"turn {n} gives {f!r}" for f in turn.get("must_not", []) if mentions(text, f)]
    said = " \n".join(
        t for t, turn in zip(texts, plan.turns, strict=True) if turn["role"] == "user"
    )
    if plan.final is not None:
        found += [
            f"the merchant never says {f!r}" for f in plan.final.facts if not mentions(said, f)
        ]
    return found


def row_of(plan: Plan, texts: list[str]) -> dict[str, Any]:
    """The dataset row: the conversation with outcomes and artifacts, what the merchant wanted,
    the last artifact and the real outcome."""
    messages: list[dict[str, Any]] = []
    output = None
    for turn, text in zip(plan.turns, texts, strict=True):
        message: dict[str, Any] = {"role": turn["role"], "content": text.strip()}
        if turn["role"] == "assistant":
            message["outcome"] = turn["outcome"]
            if turn["outcome"] == "workflow":
                output = message["artifact"] = turn["automation"].reference
        messages.append(message)
    roles = [m["role"] for m in messages]
    if roles != ["user", "assistant"] * (len(roles) // 2) + ["user"] * (len(roles) % 2):
        raise ValueError(f"{plan.id}: roles do not alternate from the user")
    tags = {f"scenario:{plan.scenario}", f"style:{plan.style}"}
    if plan.final is None:
        tags.add(f"topic:{plan.key}")
    else:
        tags |= {
            f"intent:{plan.key}",
            f"family:{plan.family}",
            f"source:{plan.final.source}",
            f"skeleton:{signature(plan.final.reference)}",
        }
    row: dict[str, Any] = {
        "id": plan.id,
        "input": messages,
        "reference": plan.final.reference if plan.final else None,
        "output": output,
        "label": plan.label,
        "expect": plan.expect,
        "merchant": plan.merchant,
        "served_by": "flow-prod",
    }
    if plan.held:
        tags.add("needs:clarify")
        row["held_back"] = plan.held
    row["tags"] = sorted(tags)
    return row


def outcome_problems(row: dict[str, Any]) -> list[str]:
    """The stored label must be what the workflows say: success ends on the wanted workflow (or a
    refusal of what Flow cannot do), failure does not."""
    invalid = [
        f"turn {n} artifact does not validate: {report.errors()}"
        for n, message in enumerate(row["input"], start=1)
        if "artifact" in message
        and not (report := validate(Workflow.from_data(message["artifact"]), CATALOG)).ok
    ]
    if invalid:
        return invalid
    if row["expect"] == "refuse":
        ok = row["output"] is None
    elif row["output"] is None:
        ok = False
    else:
        ok = score("workflow", row["reference"], "workflow", row["output"]).passed
    if ok != (row["label"] == "success"):
        return [
            f"label {row['label']} but the last artifact {'meets' if ok else 'misses'} the goal"
        ]
    return []


@dataclass
class Assembly:
    rows: list[dict[str, Any]]
    dropped: dict[str, list[str]]  # conversation id -> why
    missing: list[str]  # planned, never written


def assemble(line_files: list[Path] | None = None) -> Assembly:
    """Join the stored orders, the writers' text and today's draws; refuse rows that break the
    plan. The stored orders must be what the plan builder gives (the text was written for them)."""
    plans = make_plans()
    if [p.order() for p in plans] != sorted(stored_orders(), key=lambda o: o["id"]):
        raise ValueError("the plan builder no longer gives the stored conversation orders")
    written = read_lines(line_files or LINE_FILES)
    rows, dropped, missing = [], {}, []
    for plan in plans:
        texts = written.get(plan.id)
        if texts is None:
            missing.append(plan.id)
            continue
        found = problems_of(plan, texts)
        if not found:
            row = row_of(plan, texts)
            found = outcome_problems(row)
        if found:
            dropped[plan.id] = found
            continue
        rows.append(row)
    return Assembly(rows, dropped, missing)
