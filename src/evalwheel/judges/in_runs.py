"""The judge tier of a run: pin the versions a new run will use, then build scorers from the pins.

Pinning happens once, when the run is planned, and the plan stores the versions; building reads only
the pins, so a resumed run judges with exactly the versions it started with, whatever the
configuration says today, and no second set of clients is opened for a judge the plan does not
name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from evalwheel.core.judge import Judge
from evalwheel.errors import ConflictError, InputError
from evalwheel.judges.config import PanelSpec, require_pointwise
from evalwheel.judges.panel import check_shared_labels, member_weights
from evalwheel.judges.registry import JudgeRegistry
from evalwheel.judges.resolve import judge_client, load_judge, resolve_any
from evalwheel.project import Project
from evalwheel.store.db import Store

if TYPE_CHECKING:
    from evalwheel.judges.scorer import JudgeScorer, PanelScorer
    from evalwheel.llm.budget import BudgetTracker
    from evalwheel.llm.client import ModelClient


def pin_judges(
    project: Project,
    store: Store,
    names: list[str],
    *,
    allow_untrusted: bool = False,
    app_name: str | None = None,
) -> dict[str, str]:
    """The judge versions a new run will use, for its plan: ``NAME`` for a judge, ``NAME/MEMBER``
    and ``NAME/arbiter`` for a panel's. Each must be trusted (unless allowed), pointwise, and
    calibrated on this run's application's rendering when it names one. Raises
    ``UntrustedJudge``, ``JudgeConfigError``, ``PanelConfigError`` or ``NotFoundError``."""
    registry = JudgeRegistry(store)
    versions: dict[str, str] = {}

    def single(name: str, key: str) -> Judge:
        judge = load_judge(project, store, name)
        registry.require_trusted(judge, allow_untrusted)
        require_pointwise(judge, "a run")
        if judge.app is not None and app_name is not None and judge.app != app_name:
            raise InputError(
                f"judge {name!r} was calibrated on {judge.app!r}'s rendering; this run's "
                f"application is {app_name!r}"
            )
        registry.save(judge)
        versions[key] = judge.version
        return judge

    for name in names:
        spec = resolve_any(project, name)
        if not isinstance(spec, PanelSpec):
            single(name, name)
            continue
        everyone = [single(m, f"{name}/{m}") for m in spec.members]
        if spec.arbiter:
            everyone.append(single(spec.arbiter, f"{name}/arbiter"))
        check_shared_labels(name, everyone)
    return versions


def build_judge_scorers(
    project: Project,
    store: Store,
    versions: dict[str, str],
    *,
    tracker: BudgetTracker | None = None,
) -> tuple[dict[str, JudgeScorer | PanelScorer], list[ModelClient]]:
    """(scorers by name, clients to open and close) for the judge versions a run's plan pinned
    (see ``pin_judges``). ``tracker`` is the run's budget, shared with the system's client. A
    panel whose membership changed since the plan raises ``ConflictError``."""
    from evalwheel.judges.scorer import JudgeScorer, PanelScorer

    registry = JudgeRegistry(store)
    clients: dict[str, ModelClient] = {}

    def pinned_judge(name: str, key: str) -> tuple[Judge, ModelClient]:
        if key not in versions:
            raise ConflictError(
                f"{key} is not among the judges this run pinned: was its panel changed?"
            )
        judge = registry.get(versions[key]).model_copy(update={"name": name})
        if judge.model not in clients:
            clients[judge.model] = judge_client(project, store, judge.model, tracker=tracker)
        return judge, clients[judge.model]

    scorers: dict[str, JudgeScorer | PanelScorer] = {}
    for name in sorted({key.split("/")[0] for key in versions}):
        if name in versions:
            scorers[name] = JudgeScorer(name, *pinned_judge(name, name))
            continue
        spec = resolve_any(project, name)
        if not isinstance(spec, PanelSpec):
            raise ConflictError(f"the run pinned {name!r} as a panel; it is no longer one")
        members = {m: pinned_judge(m, f"{name}/{m}") for m in spec.members}
        arbiter = pinned_judge(spec.arbiter, f"{name}/arbiter") if spec.arbiter else None
        weights = member_weights(spec, {m: j for m, (j, _) in members.items()}, registry)
        scorers[name] = PanelScorer(spec, members, arbiter, weights, store)
    return scorers, list(clients.values())
