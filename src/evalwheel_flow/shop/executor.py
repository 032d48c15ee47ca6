"""Running a workflow on an event in the simulated shop, recording every effect.

The walk starts at the trigger and follows links by port: a condition goes to ``true`` or
``false``; a for-each runs its ``loop_body`` once per item (at most 100, as Flow does) with the item
in scope, then ``after``; data steps (get data, count, sum, segment lookup) put their outputs in
scope for the steps after them (a get-data query searches the event and the shop's stock, with one
``field:value`` term: ``tag:X``, ``status:X``, ``financial_status:X``...); a wait is recorded with
the state of the shop while it lasts, not slept. Config values are read by their
catalog type as Flow reads them (``config_values.typed_config``: Booleans, numbers, defaults of
optional fields), and action fields rendered with Liquid against the event. Emails and HTTP
requests go to the shop's outbox: captured, never sent. Besides the end state, a run keeps the
form of it the truth oracle compares (``ShopState.snapshot(compared=True)``).

A workflow is untrusted, so a run is bounded: at most ``MAX_STEPS`` steps (paths through a graph of
conditions can multiply), Liquid within its limits, and, when the caller passes a ``WorkBudget``
(the oracle does, for a whole suite), every step and render charged to it; running out raises
``WorkLimitExceeded`` to the caller instead of recording a failed run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from evalwheel_flow import liquid_fields
from evalwheel_flow.catalog.catalog import Catalog, Task, load_catalog
from evalwheel_flow.conditions import parse
from evalwheel_flow.conditions.ast import Expr, Path
from evalwheel_flow.conditions.evaluate import evaluate, lookup
from evalwheel_flow.limits import STEP_WORK, WorkBudget, WorkLimitExceeded
from evalwheel_flow.shop.config_values import compared, typed_config
from evalwheel_flow.shop.events import Event
from evalwheel_flow.shop.state import ShopState
from evalwheel_flow.workflow import Step, Workflow

FOREACH_LIMIT = 100
MAX_STEPS = 10_000

ID_FIELDS = {
    "customer": "customer_id",
    "order": "order_id",
    "product": "product_id",
    "draftOrder": "draft_order_id",
}
DEFAULT_TARGET = {
    "customer": ("customer", "order.customer", "draftOrder.customer"),
    "order": ("order",),
    "product": ("product",),
    "draftOrder": ("draftOrder",),
}


class ExecutionError(RuntimeError):
    pass


@lru_cache(maxsize=1024)
def _condition(text: str) -> Expr:
    """Parsed once per text (the tree is immutable): a suite runs the same conditions hundreds of
    times, and parsing was most of a run's time."""
    return parse(text)


@dataclass
class Execution:
    fired: bool
    effects: list[dict[str, Any]] = field(default_factory=list)
    snapshot: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    compared: dict[str, Any] = field(default_factory=dict)  # the snapshot as the oracle compares it

    def behaviour(self, verbatim: bool = False) -> dict[str, Any]:
        """What the truth oracle compares: the end state and the captured messages, free fields
        by presence and recipients as the shop reads them (``verbatim``: as written)."""
        return {"error": self.error, **(self.snapshot if verbatim else self.compared)}


def execute(
    workflow: Workflow,
    event: Event,
    catalog: Catalog | None = None,
    budget: WorkBudget | None = None,
) -> Execution:
    catalog = catalog or load_catalog()
    shop = ShopState.from_payload(event.payload, event.stock)
    triggers = workflow.triggers()
    if len(triggers) != 1 or triggers[0].task_id != event.trigger:
        return Execution(fired=False, snapshot=shop.snapshot(), compared=shop.snapshot(True))
    run = _Run(workflow, catalog, shop, budget, event.stock)
    error = None
    try:
        run.step(triggers[0], dict(event.payload))
    except ExecutionError as exc:
        error = str(exc)
    return Execution(
        fired=True,
        effects=run.effects,
        snapshot=shop.snapshot(),
        error=error,
        compared=shop.snapshot(compared=True),
    )


class _Run:
    def __init__(
        self,
        workflow: Workflow,
        catalog: Catalog,
        shop: ShopState,
        budget: WorkBudget | None,
        stock: dict[str, list[dict[str, Any]]],
    ) -> None:
        self.workflow = workflow
        self.stock = stock
        self.budget = budget
        self.catalog = catalog
        self.shop = shop
        self.effects: list[dict[str, Any]] = []
        self.count = 0
        # names whose values the workflow computed: data steps' outputs, items of loops over them
        self.computed = {name for task in catalog.tasks.values() for name in task.outputs}

    def follow(self, step: Step, port: str, env: dict[str, Any]) -> None:
        for nxt in self.workflow.next_steps(step.step_id, port):
            self.step(nxt, env)

    def step(self, step: Step, env: dict[str, Any]) -> None:
        self.count += 1
        if self.count > MAX_STEPS:
            raise ExecutionError("too many steps (a loop?)")
        if self.budget is not None:
            self.budget.spend(STEP_WORK)
        config = step.config()
        if step.task_type in ("TRIGGER",):
            return self.follow(step, "output", env)
        if step.task_type == "CONDITION":
            try:
                result = evaluate(_condition(config.get("condition", "")), env)
            except ValueError as exc:
                raise ExecutionError(f"{step.step_id}: {exc}") from None
            return self.follow(step, "true" if result else "false", env)
        if step.task_type == "WAIT":
            task = self.catalog.task(step.task_id)
            minutes = (typed_config(task, config) if task else config).get("duration_minutes")
            wait = {"action": "wait", "minutes": minutes or 0}
            self.effects.append(wait)
            # what the shop looks like while the wait lasts (a hold and its reason) is behaviour too
            self.shop.send(
                {**wait, "state": self.shop.snapshot()["resources"]},
                {**wait, "state": self.shop.snapshot(compared=True)["resources"]},
            )
            return self.follow(step, "output", env)
        if step.task_type == "FOREACH":
            items = lookup(env, Path(tuple(config.get("list", "").split("."))))
            name = config.get("item") or "item"
            if config.get("list", "").split(".")[0] in self.computed:
                self.computed.add(name)
            for item in (items if isinstance(items, list) else [])[:FOREACH_LIMIT]:
                self.follow(step, "loop_body", {**env, name: item})
            return self.follow(step, "after", env)
        env = self.action(step, config, env)
        return self.follow(step, "output", env)

    def render(self, value: str, env: dict[str, Any]) -> str:
        try:
            return liquid_fields.render(value, env, self.budget)
        except WorkLimitExceeded:  # the caller's budget: not this run's failure but the check's
            raise
        except Exception as exc:  # a Liquid error is a run failure of this workflow, recorded
            raise ExecutionError(f"Liquid: {exc}") from None

    def quoted_data(self, task: Task, values: dict[str, Any], env: dict[str, Any]) -> list[Any]:
        """The computed values (a count, a sum, the resources a query found) that a step's free
        fields quote. Free wording is compared by presence, but the data a report carries is what
        the get-data, count and sum steps before it did: without it, a wrong query or a wrong
        field could only change words the oracle does not read."""
        found: dict[str, Any] = {}
        for name, value in values.items():
            config_field = task.config_fields.get(name)
            if config_field is None or not config_field.free or not isinstance(value, str):
                continue
            for segments in liquid_fields.variables(value):
                if segments[0] in self.computed:
                    data = _quoted(_resolve(env, segments))
                    found[json.dumps(data, sort_keys=True, default=str)] = data
        return [found[key] for key in sorted(found)]

    def target(self, resource: str, config: dict[str, str], env: dict[str, Any]) -> str:
        raw = config.get(ID_FIELDS[resource])
        if raw:
            rendered = self.render(raw, env).strip()
            if rendered:
                return rendered
        for path in DEFAULT_TARGET[resource]:
            value = lookup(env, Path(tuple(path.split("."))))
            if isinstance(value, dict) and value.get("id"):
                return value["id"]
        for value in env.values():  # inside a for-each over resources of this kind
            if isinstance(value, dict) and str(value.get("id", "")).split("/")[-2:-1] == [
                resource[0].upper() + resource[1:]
            ]:
                return value["id"]
        raise ExecutionError(f"no {resource} in context")

    def action(self, step: Step, config: dict[str, str], env: dict[str, Any]) -> dict[str, Any]:
        task = self.catalog.task(step.task_id)
        if task is None:
            raise ExecutionError(f"{step.step_id}: unknown task {step.task_id}")
        handle = task.handle
        values = {
            k: v
            for k, v in typed_config(task, config).items()
            if k not in ID_FIELDS.values() and v is not None
        }
        shop = self.shop
        if handle in ("get_order_data", "get_customer_data", "get_product_data"):
            output = next(iter(task.outputs))
            kind = {
                "get_order_data": "Order",
                "get_customer_data": "Customer",
                "get_product_data": "Product",
            }[handle]
            query = self.render(values.get("query", ""), env).strip().lower()
            found = _find([env, self.stock.get(kind, [])], kind, query)[:FOREACH_LIMIT]
            return {**env, output: found}
        if handle == "count":
            items = lookup(env, Path(tuple(values.get("list", "").split("."))))
            return {**env, "count": len(items) if isinstance(items, list) else 0}
        if handle == "sum":
            items = lookup(env, Path(tuple(values.get("list", "").split("."))))
            total = 0.0
            for item in items if isinstance(items, list) else []:
                number = (
                    lookup(item, Path(tuple(values.get("field", "").split("."))))
                    if isinstance(item, dict)
                    else None
                )
                try:
                    total += float(number)
                except (TypeError, ValueError):
                    continue
            return {**env, "sum": total}
        if handle == "lookup_customer_in_segment":
            customer = shop.resource(self.target("customer", config, env))
            segment = values.get("segment", "").lower()
            return {**env, "isMember": segment in {t.lower() for t in customer["tags"]}}
        if task.requires:
            target = self.target(task.requires, config, env)
            if target not in shop.resources:
                raise ExecutionError(f"{step.step_id}: {target} is not in the shop")
        effect: dict[str, Any] = {"action": handle}
        if handle.startswith(("add_", "remove_")) and handle.endswith("_tags"):
            tags = json.loads(self.render(values.get("tags", "[]"), env))
            tags = [t.strip() for t in tags if isinstance(t, str) and t.strip()]
            (shop.add_tags if handle.startswith("add_") else shop.remove_tags)(target, tags)
            effect.update(target=target, tags=sorted(tags))
        elif handle in ("update_customer_note", "update_order_note"):
            note = self.render(values.get("note", ""), env)
            shop.set(
                target,
                "note",
                note,
                _with_data(
                    compared(task.config_fields.get("note"), note),
                    self.quoted_data(task, values, env),
                ),
            )
            effect.update(target=target, note=note)
        elif handle.endswith("_metafield"):
            value = self.render(values.get("value", ""), env)
            shop.set_metafield(
                target,
                values.get("namespace", ""),
                values.get("key", ""),
                value,
                values.get("type", ""),
            )
            effect.update(
                target=target, key=f"{values.get('namespace')}.{values.get('key')}", value=value
            )
        elif handle == "cancel_order":
            options = {
                k: values[k]
                for k in ("reason", "refund", "restock", "notify_customer")
                if k in values
            }
            shop.set(target, "cancelled", True)
            shop.set(target, "cancel_reason", options)
            effect.update(target=target, **options)
        elif handle == "capture_payment":
            shop.set(target, "captured", True)
            effect.update(target=target)
        elif handle == "mark_order_as_paid":
            shop.set(target, "paid", True)
            effect.update(target=target)
        elif handle == "hold_fulfillment_order":
            hold = {
                "reason": values.get("reason"),
                "note": self.render(values.get("note", ""), env),
            }
            note_field = task.config_fields.get("note")
            shop.set(
                target,
                "fulfillment_hold",
                hold,
                {
                    **hold,
                    "note": _with_data(
                        compared(note_field, hold["note"]), self.quoted_data(task, values, env)
                    ),
                },
            )
            effect.update(target=target, **hold)
        elif handle == "release_fulfillment_order_hold":
            if not shop.resource(target).get("fulfillment_hold"):
                raise ExecutionError(f"{target} has no fulfillment hold to release")
            shop.set(target, "fulfillment_hold", None)
            effect.update(target=target)
        elif handle in ("archive_order", "unarchive_order"):
            shop.set(target, "archived", handle == "archive_order")
            effect.update(target=target)
        elif handle in ("publish_product", "unpublish_product"):
            shop.set(target, "published", handle == "publish_product")
            effect.update(target=target)
        elif handle == "update_product_status":
            shop.set(target, "status", values.get("status"))
            effect.update(target=target, status=values.get("status"))
        elif handle == "update_customer_marketing_consent":
            shop.set(target, "marketing_state", values.get("state"))
            effect.update(target=target, state=values.get("state"))
        elif handle == "add_order_line_item":
            items = shop.resource(target).setdefault("extra_line_items", [])
            items.append(
                {"variant_id": values.get("variant_id"), "quantity": values.get("quantity")}
            )
            effect.update(target=target)
        elif handle in ("send_internal_email", "send_http_request", "send_admin_api_request"):
            message = {
                "action": handle,
                **{
                    k: self.render(v, env) if isinstance(v, str) else v
                    for k, v in sorted(values.items())
                },
            }
            shown = {k: compared(task.config_fields.get(k), v) for k, v in message.items()}
            data = self.quoted_data(task, values, env)
            shop.send(message, {**shown, "quoted_data": data} if data else shown)
            effect.update(message)
        else:
            raise ExecutionError(f"{step.step_id}: the simulator cannot run {handle}")
        self.effects.append(effect)
        return env


def _resolve(env: dict[str, Any], segments: tuple[str | int, ...]) -> Any:
    """A Liquid variable's value: keys, list indexes, ``size``, ``first`` and ``last``."""
    value: Any = env
    for segment in segments:
        if isinstance(value, list):
            if segment == "size":
                value = len(value)
            elif segment in ("first", "last") or isinstance(segment, int):
                index = {"first": 0, "last": -1}.get(str(segment), segment)
                value = (
                    value[index]
                    if isinstance(index, int) and -len(value) <= index < len(value)
                    else None
                )
            else:
                return None
        elif isinstance(value, dict):
            value = value.get(segment) if isinstance(segment, str) else None
        else:
            return None
    return value


def _quoted(value: Any) -> Any:
    """A quoted value as compared: a resource by its id, numbers as numbers."""
    if isinstance(value, dict):
        return value.get("id") or {k: _quoted(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_quoted(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def _with_data(shown: Any, data: list[Any]) -> Any:
    """A free field's compared form, with the computed data it quotes when it quotes any."""
    return {"text": shown, "quoted_data": data} if data and shown is not None else shown


QUERY_FIELDS = {
    "tag": "tags",
    "status": "status",
    "financial_status": "displayFinancialStatus",
    "fulfillment_status": "displayFulfillmentStatus",
    "product_type": "productType",
    "vendor": "vendor",
    "email": "email",
}


def query_term(query: str) -> tuple[str, str] | None:
    """The resource field and value of a one-term search query (``tag:vip`` → ("tags", "vip"),
    ``tag:'low stock'`` → ("tags", "low stock")), or None for any other query."""
    name, colon, value = query.strip().partition(":")
    value = value.strip()
    if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    elif not value or any(c.isspace() or c in "'\":()" for c in value):
        return None  # several terms, a range, a grouping: not one field and value
    if not colon or name.strip().lower() not in QUERY_FIELDS:
        return None
    return QUERY_FIELDS[name.strip().lower()], value.lower()


def _opaque_match(resource: dict[str, Any], query: str) -> bool:
    """Whether a query the simulator cannot read (``created_at:>-7d``, several terms) finds a
    resource: a fixed pseudo-random half of resources per query text. Matching every resource
    would make any two such queries the same workflow; this way two different queries find
    different resources on a large enough stock, and the same query (up to case and spacing)
    the same ones."""
    text = " ".join(query.lower().split())
    digest = hashlib.sha256(f"{text}\0{resource.get('id')}".encode()).digest()
    return digest[0] % 2 == 0


def matches(resource: dict[str, Any], term: tuple[str, str]) -> bool:
    """Whether a resource matches a query term: a tag it carries, or a field equal to the value
    (case-insensitively)."""
    name, value = term
    actual = resource.get(name)
    if isinstance(actual, list):
        return value in {str(t).lower() for t in actual}
    return actual is not None and str(actual).lower() == value


def _find(where: Any, kind: str, query: str) -> list[dict[str, Any]]:
    """Resources of a kind in the event and the stock that a query finds: all for an empty one,
    by field for a one-term query, a fixed half per query text for any other."""
    found: dict[str, dict[str, Any]] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            rid = value.get("id")
            if isinstance(rid, str) and f"/{kind}/" in rid:
                found.setdefault(rid, value)
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(where)
    if not query.strip():
        return list(found.values())
    term = query_term(query)
    if term is None:
        return [item for item in found.values() if _opaque_match(item, query)]
    return [item for item in found.values() if matches(item, term)]
