"""``evalwheel judge …`` (list, show, export, drift) and ``evalwheel calibrate``."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Annotated, Any

import typer

from evalwheel.cli.context import project_store
from evalwheel.cli.output import EXIT_CHECK_FAILED, emit_json, fail, info, out, progress_bar
from evalwheel.core.judge import Judge
from evalwheel.project import Project
from evalwheel.store.db import Store

app = typer.Typer(help="LLM judges: versions, calibration records, drift.", no_args_is_help=True)


def load_judge(project: Project, store: Store, name: str) -> Judge:
    """The configured judge, at its calibrated pin when the configuration is unchanged."""
    from evalwheel.judges.config import JudgeConfigError, resolve_single
    from evalwheel.judges.registry import pinned

    try:
        return pinned(store, resolve_single(project, name))
    except (LookupError, JudgeConfigError) as exc:
        fail(str(exc))


def judge_client(project: Project, store: Store, model: str, **kw: Any):  # -> ModelClient
    from evalwheel.llm.client import ModelClient
    from evalwheel.llm.errors import ModelConfigError
    from evalwheel.llm.project_models import project_models, project_prices
    from evalwheel.llm.registry import get_model

    try:
        spec = get_model(project_models(project), model)
        return ModelClient(spec, store=store, prices=project_prices(project), **kw)
    except (ModelConfigError, ValueError) as exc:
        fail(str(exc))


def _app_for(judge: Judge):  # -> App | None
    from evalwheel.apps import load_apps

    if judge.app is None:
        return None
    found = load_apps().get(judge.app)
    if found is None:
        fail(f"judge {judge.name!r} renders with application {judge.app!r}, which is not installed")
    return found


def _fractions(text: str) -> tuple[float, float, float]:
    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError:
        fail(f"--split takes TRAIN,DEV,TEST fractions (e.g. 0.4,0.3,0.3), not {text!r}")
    if len(parts) != 3 or abs(sum(parts) - 1) > 1e-6 or min(parts) < 0:
        fail(f"--split needs three non-negative fractions summing to 1, not {text!r}")
    return parts  # type: ignore[return-value]


@app.command("list")
def list_judges(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Configured judges and panels, with the version in use and whether it is trusted."""
    from evalwheel.judges.config import PanelSpec, configured_judges, resolve_judge
    from evalwheel.judges.registry import JudgeRegistry, pinned

    rows = []
    with project_store() as (project, store):
        registry = JudgeRegistry(store)
        for name in sorted(configured_judges(project)):
            try:
                judge = resolve_judge(project, name)
            except ValueError as exc:
                rows.append({"name": name, "error": str(exc)})
                continue
            if isinstance(judge, PanelSpec):
                rows.append(
                    {
                        "name": name,
                        "kind": "panel",
                        "members": judge.members,
                        "arbiter": judge.arbiter,
                    }
                )
                continue
            used = pinned(store, judge)
            rows.append(
                {
                    "name": name,
                    "kind": used.kind.value,
                    "model": used.model,
                    "version": used.version,
                    "calibrated_from": judge.version if used.version != judge.version else None,
                    "trusted": registry.trusted(used.version),
                    "test_kappa": registry.calibrated_kappa(used.version),
                }
            )
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        if "error" in r:
            out.print(f"{r['name']:24} error: {r['error']}", highlight=False)
        elif r["kind"] == "panel":
            out.print(
                f"{r['name']:24} panel of {', '.join(r['members'])} (arbiter: {r['arbiter']})",
                highlight=False,
            )
        else:
            kappa = r["test_kappa"]
            k = f"test kappa {fmt_kappa(kappa)}" if kappa else "not calibrated"
            out.print(
                f"{r['name']:24} {r['version'][:12]} {r['model']:12} {'TRUSTED' if r['trusted'] else 'untrusted'}  {k}",
                highlight=False,
            )


@app.command("show")
def show(
    name: Annotated[str, typer.Argument()],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The judge in use (its full artifact), its calibrations and their kappa trail."""
    from evalwheel.judges.calibrate import kappa_trail
    from evalwheel.judges.registry import JudgeRegistry

    with project_store() as (project, store):
        judge = load_judge(project, store, name)
        registry = JudgeRegistry(store)
        calibrations = registry.calibrations(version=judge.version)
        data = {
            "judge": judge.model_dump(mode="json"),
            "version": judge.version,
            "trusted": registry.trusted(judge.version),
            "calibrations": [
                {
                    "id": c.id,
                    "golden": c.golden,
                    "trusted": c.trusted,
                    "gate": c.gate,
                    "kappa_trail": list(kappa_trail(c)),
                    "test": c.metrics.get("test", {}).get("vs_reference"),
                    "created_at": c.created_at.isoformat(),
                }
                for c in calibrations
            ],
        }
    if as_json:
        emit_json(data)
        return
    out.print(
        f"{name} {judge.version[:12]} model={judge.model} trusted={data['trusted']}",
        highlight=False,
    )
    out.print(f"rubric: {judge.rubric}", highlight=False)
    for c in judge.criteria:
        out.print(f"  - {c}", highlight=False)
    out.print(
        f"few-shots: {len(judge.fewshots)}; label map: {judge.label_map or 'none'}", highlight=False
    )
    for c in data["calibrations"]:
        trail = " → ".join("n/a" if k is None else f"{k:.2f}" for k in c["kappa_trail"])
        out.print(
            f"{c['id']} on {c['golden']}: dev kappa {trail}; trusted={c['trusted']}",
            highlight=False,
        )


@app.command("export")
def export(name: Annotated[str, typer.Argument()]) -> None:
    """The judge in use as a TOML table, to commit into evalwheel.toml."""
    import tomli_w

    with project_store() as (project, store):
        judge = load_judge(project, store, name)
    data = judge.model_dump(mode="json", exclude={"name", "origin"}, exclude_none=True)
    out.print(tomli_w.dumps({"judges": {name: data}}), highlight=False, markup=False)


def _golden(
    store: Store, ref: str, judge: Judge, fractions, seed: int, limit: int | None
):  # -> GoldenSet
    from evalwheel.judges.golden import load_golden
    from evalwheel.store.datasets import DatasetNotFound

    try:
        return load_golden(
            store, ref, judge, _app_for(judge), fractions=fractions, seed=seed, limit=limit
        )
    except (DatasetNotFound, ValueError, LookupError) as exc:
        fail(str(exc))


def calibrate(
    judge_name: Annotated[
        str, typer.Option("--judge", "-j", help="A [judges.NAME] (or an app's).")
    ],
    golden: Annotated[
        str, typer.Option("--golden", "-g", help="The golden dataset NAME[@VERSION].")
    ],
    target_kappa: Annotated[
        float, typer.Option(help="Stop when dev kappa reaches it; the gate's floor.")
    ] = 0.6,
    ceiling_share: Annotated[
        float, typer.Option(help="Gate: test kappa >= this share of the human ceiling.")
    ] = 0.8,
    optimiser: Annotated[
        list[str] | None,
        typer.Option("--optimiser", help="fewshot, rubric, label_map (repeatable)."),
    ] = None,
    max_iterations: Annotated[
        int, typer.Option(help="Improvement rounds at most (0: measure only).")
    ] = 4,
    split: Annotated[
        str, typer.Option(help="TRAIN,DEV,TEST fractions, stratified by label.")
    ] = "0.4,0.3,0.3",
    limit: Annotated[
        int | None, typer.Option(help="A stratified subset of N items (for quick runs).")
    ] = None,
    seed: Annotated[int, typer.Option()] = 0,
    concurrency: Annotated[int, typer.Option()] = 4,
    budget_usd: Annotated[float | None, typer.Option("--budget-usd")] = None,
    optimiser_model: Annotated[
        str | None, typer.Option(help="Model that rewrites criteria (default: the judge's).")
    ] = None,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples for intervals.")] = 10_000,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Measure a judge against human labels beside the human ceiling, improve it on train, select on
    dev, report once on test, and promote it if it passes the gate. Exit 1 when not promoted."""
    from evalwheel.judges.calibrate import CalibrationOptions, PromotionGate
    from evalwheel.judges.config import JudgeConfigError, PanelSpec, require_pointwise
    from evalwheel.judges.registry import pinned

    fractions = _fractions(split)
    try:
        options = CalibrationOptions(
            target_kappa=target_kappa,
            optimisers=optimiser or ["fewshot", "rubric", "label_map"],
            max_iterations=max_iterations,
            concurrency=concurrency,
            resamples=resamples,
            seed=seed,
            gate=PromotionGate(target_kappa=target_kappa, ceiling_share=ceiling_share),
        )
    except ValueError as exc:
        fail(str(exc))
    with project_store() as (project, store):
        configured = _resolve(project, judge_name)
        if isinstance(configured, PanelSpec):
            _measure_panel(
                project,
                store,
                configured,
                golden,
                fractions,
                seed,
                limit,
                options,
                as_json,
                budget_usd,
            )
            return
        try:
            require_pointwise(configured, "calibration")
        except JudgeConfigError as exc:
            fail(str(exc))
        judge = pinned(store, configured)
        golden_set = _golden(store, golden, judge, fractions, seed, limit)
        from evalwheel.judges.golden import summary

        s = summary(golden_set)
        info(
            f"golden {s['ref']}: {s['items']} items, annotators {', '.join(s['annotators']) or '(adjudicated only)'}; "
            f"train/dev/test {s['splits']['train']}/{s['splits']['dev']}/{s['splits']['test']}"
        )
        result = calibrate_and_record(
            project,
            store,
            configured,
            judge,
            golden_set,
            options,
            budget_usd=budget_usd,
            optimiser_model=optimiser_model,
            log=_log_iteration,
        )
        chosen, calibration = result.judge, result.calibration
    if as_json:
        emit_json(
            {
                "judge": chosen.model_dump(mode="json"),
                "version": chosen.version,
                "calibration": calibration.model_dump(mode="json"),
            }
        )
    else:
        print_calibration(calibration)
    if not calibration.trusted:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _log_iteration(entry: dict[str, Any]) -> None:
    k = entry.get("dev_kappa")
    info(
        f"  [{entry['iteration']}] {entry['optimiser']:10} dev kappa "
        f"{'n/a' if k is None else f'{k:.3f}'}  {entry['version'][:12]}  {entry.get('origin') or ''}"
    )


def calibrate_and_record(
    project: Project,
    store: Store,
    configured: Judge,
    judge: Judge,
    golden_set: Any,
    options: Any,
    *,
    budget_usd: float | None = None,
    optimiser_model: str | None = None,
    log: Any = None,
):  # -> CalibrationResult
    """Run the calibration loop from ``judge`` (the configured judge or its pin) with progress,
    then store every version, the calibration and the pin (``evalwheel calibrate`` and the demo)."""
    from evalwheel.judges.calibrate import CalibrationStopped, calibrate
    from evalwheel.judges.registry import record_calibration
    from evalwheel.llm.budget import Budget, BudgetTracker

    tracker = BudgetTracker(Budget(usd=budget_usd))  # one budget for judge and rewriter
    client = judge_client(project, store, judge.model, tracker=tracker)
    rewrite = (
        judge_client(project, store, optimiser_model, tracker=tracker) if optimiser_model else None
    )

    async def go():  # -> CalibrationResult
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(client)
            if rewrite is not None:
                await stack.enter_async_context(rewrite)
            with progress_bar() as bar:

                def phase(what: str, total: int):
                    task = bar.add_task(what, total=total)
                    return lambda: bar.advance(task)

                return await calibrate(
                    judge,
                    golden_set,
                    client,
                    options,
                    optimiser_client=rewrite,
                    progress=phase,
                    log=log,
                )

    try:
        result = asyncio.run(go())
    except (ValueError, CalibrationStopped) as exc:
        fail(str(exc))
    record_calibration(
        store, configured, judge, result.judge, result.calibration, result.candidates
    )
    return result


def fmt_kappa(entry: dict[str, Any] | None) -> str:
    """``0.612 [0.501, 0.712]``, or ``n/a``."""
    if not entry or entry.get("estimate") is None:
        return "n/a"
    low, high = entry.get("ci_low"), entry.get("ci_high")
    text = f"{_num(entry['estimate'])}"
    return text if low is None else f"{text} [{_num(low)}, {_num(high)}]"


def _num(value: float | None) -> str:
    """Three decimals, without a "-0.000" for values that round to zero."""
    return "n/a" if value is None else f"{round(value, 3) + 0.0:.3f}"


def print_calibration(calibration) -> None:  # Calibration
    from evalwheel.judges.calibrate import kappa_trail

    m = calibration.metrics
    test = m["test"]
    trail = " → ".join("n/a" if k is None else f"{k:.2f}" for k in kappa_trail(calibration))
    out.print(
        f"calibration {calibration.id}: judge {calibration.judge_version[:12]} on {calibration.golden}",
        highlight=False,
    )
    out.print(
        f"dev kappa by chosen iteration: {trail} (stopped: {m['stop_reason']})", highlight=False
    )
    ref = test["vs_reference"]
    out.print(
        f"test (n={test['n_items']}, judge errors {test['n_errors']}): kappa vs reference {fmt_kappa(ref.get('cohen_kappa'))}, "
        f"raw agreement {ref.get('raw_agreement') if ref.get('raw_agreement') is None else round(ref['raw_agreement'], 3)}, "
        f"AC1 {fmt_kappa(ref.get('gwet_ac1'))}, TPR {ref.get('tpr')}, TNR {ref.get('tnr')}",
        highlight=False,
    )
    for human, stats in test["vs_humans"].items():
        out.print(
            f"  judge vs {human:16} kappa {fmt_kappa(stats.get('cohen_kappa'))} (n={stats['n']})",
            highlight=False,
        )
    for pair, stats in test["human_pairs"].items():
        out.print(
            f"  human ceiling {pair:18} kappa {fmt_kappa(stats.get('cohen_kappa'))} (n={stats['n']})",
            highlight=False,
        )
    c = test["ceiling"]
    if c["ratio"] is not None:
        out.print(
            f"  judge/ceiling = {c['judge_kappa_vs_humans']:.3f} / {c['human_kappa']:.3f} = {c['ratio']:.2f}",
            highlight=False,
        )
    worst = list(m.get("slices", {}).items())[:3]
    if worst:
        out.print(
            "  weakest slices: "
            + ", ".join(f"{t} {v['agreement']:.2f} (n={v['n']})" for t, v in worst),
            highlight=False,
        )
    for d in m.get("disagreements", [])[:3]:
        out.print(
            f"  disagreement {d['item']}: judge {d['judge']} vs {d['reference']} — judge: {d['judge_rationale'] or d['judge_error']}; humans: "
            + " | ".join(d["human_rationales"].values()),
            highlight=False,
        )
    verdict = (
        "TRUSTED"
        if calibration.trusted
        else "not trusted: " + "; ".join(calibration.gate.get("reasons", []))
    )
    out.print(f"promotion gate: {verdict}", highlight=False)


@app.command("drift")
def drift(
    judge_name: Annotated[str, typer.Option("--judge", "-j")],
    golden: Annotated[
        str | None, typer.Option("--golden", "-g", help="Default: the calibration's golden set.")
    ] = None,
    alpha: Annotated[float, typer.Option(help="McNemar significance level.")] = 0.05,
    tolerance: Annotated[
        float, typer.Option(help="Kappa drop tolerated before it counts as drift.")
    ] = 0.0,
    concurrency: Annotated[int, typer.Option()] = 4,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Re-score the frozen golden items with the pinned judge (fresh model calls) and test the
    change against its calibration: exit 1 on drift."""
    from evalwheel.judges.drift import drift_report
    from evalwheel.judges.evaluate import judge_items
    from evalwheel.judges.registry import JudgeRegistry
    from evalwheel.llm.cache import CacheMode

    with project_store() as (project, store):
        judge = load_judge(project, store, judge_name)
        calibration = JudgeRegistry(store).latest_calibration(judge.version)
        if calibration is None:
            fail(
                f"judge {judge_name!r} version {judge.version[:12]} has no calibration: run `evalwheel calibrate` first"
            )
        options = calibration.metrics.get("options", {})
        golden_set = _golden(
            store,
            golden or calibration.golden,
            judge,
            (0.4, 0.3, 0.3),
            options.get("seed", 0),
            None,
        )
        items = [i for i in golden_set.items if i.id in calibration.verdicts]
        client = judge_client(project, store, judge.model, cache_mode=CacheMode.REFRESH)

        async def go():
            async with client:
                with progress_bar() as bar:
                    task = bar.add_task("re-scoring golden items", total=len(items))
                    return await judge_items(
                        client,
                        judge,
                        items,
                        concurrency=concurrency,
                        on_item=lambda: bar.advance(task),
                    )

        verdicts = asyncio.run(go())
        report = drift_report(
            calibration,
            golden_set,
            {k: v.label for k, v in verdicts.items()},
            categories=list(judge.labels),
            alpha=alpha,
            tolerance=tolerance,
        )
        if report.errors:
            fail(
                f"drift check incomplete: {report.errors} of {report.n + report.errors} re-scored "
                "items got no verdict (is the endpoint up?); nothing recorded"
            )
        JudgeRegistry(store).save_drift(judge.version, report.model_dump(mode="json"))
    if as_json:
        emit_json(report)
    else:
        out.print(
            f"drift check of {judge_name} {judge.version[:12]} vs {report.calibration}: n={report.n}, "
            f"{report.flipped} verdicts changed; kappa {report.kappa_before} → {report.kappa_after} "
            f"(Δ {report.kappa_change} [{report.ci_low}, {report.ci_high}]); McNemar p={report.mcnemar_p}",
            highlight=False,
        )
        out.print(
            "DRIFT: " + "; ".join(report.reasons) if report.drifted else "no drift", highlight=False
        )
    if report.drifted:
        raise typer.Exit(EXIT_CHECK_FAILED)


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
    calibrated on this run's application's rendering when it names one."""
    from evalwheel.judges.config import JudgeConfigError, PanelSpec, require_pointwise
    from evalwheel.judges.panel import PanelConfigError, check_shared_labels
    from evalwheel.judges.registry import JudgeRegistry, UntrustedJudge

    registry = JudgeRegistry(store)
    versions: dict[str, str] = {}

    def single(name: str, key: str) -> Judge:
        judge = load_judge(project, store, name)
        try:
            registry.require_trusted(judge, allow_untrusted)
            require_pointwise(judge, "a run")
        except (UntrustedJudge, JudgeConfigError) as exc:
            fail(str(exc))
        if judge.app is not None and app_name is not None and judge.app != app_name:
            fail(
                f"judge {name!r} was calibrated on {judge.app!r}'s rendering; this run's "
                f"application is {app_name!r}"
            )
        registry.save(judge)
        versions[key] = judge.version
        return judge

    for name in names:
        spec = _resolve(project, name)
        if not isinstance(spec, PanelSpec):
            single(name, name)
            continue
        everyone = [single(m, f"{name}/{m}") for m in spec.members]
        if spec.arbiter:
            everyone.append(single(spec.arbiter, f"{name}/arbiter"))
        try:
            check_shared_labels(name, everyone)
        except PanelConfigError as exc:
            fail(str(exc))
    return versions


def build_judge_scorers(
    project: Project, store: Store, versions: dict[str, str], *, tracker: Any = None
) -> tuple[dict[str, Any], list[Any]]:
    """(scorers by name, clients to close) for the judge versions a run's plan pinned (see
    ``pin_judges``), so a resumed run judges with exactly the versions it started with.
    ``tracker`` is the run's budget, shared with the system's client."""
    from evalwheel.judges.config import PanelSpec
    from evalwheel.judges.panel import PanelConfigError, member_weights
    from evalwheel.judges.registry import JudgeRegistry
    from evalwheel.judges.scorer import JudgeScorer, PanelScorer

    registry = JudgeRegistry(store)
    clients: dict[str, Any] = {}

    def pinned_judge(name: str, key: str) -> tuple[Judge, Any]:
        if key not in versions:
            fail(f"{key} is not among the judges this run pinned: was its panel changed?")
        judge = registry.get(versions[key]).model_copy(update={"name": name})
        if judge.model not in clients:
            clients[judge.model] = judge_client(project, store, judge.model, tracker=tracker)
        return judge, clients[judge.model]

    scorers: dict[str, Any] = {}
    for name in sorted({key.split("/")[0] for key in versions}):
        if name in versions:
            scorers[name] = JudgeScorer(name, *pinned_judge(name, name))
            continue
        spec = _resolve(project, name)
        if not isinstance(spec, PanelSpec):
            fail(f"the run pinned {name!r} as a panel; it is no longer one")
        members = {m: pinned_judge(m, f"{name}/{m}") for m in spec.members}
        arbiter = pinned_judge(spec.arbiter, f"{name}/arbiter") if spec.arbiter else None
        try:
            weights = member_weights(spec, {m: j for m, (j, _) in members.items()}, registry)
        except PanelConfigError as exc:
            fail(str(exc))
        scorers[name] = PanelScorer(spec, members, arbiter, weights, store)
    return scorers, list(clients.values())


def _resolve(project: Project, name: str):  # -> Judge | PanelSpec
    from evalwheel.judges.config import JudgeConfigError, resolve_judge

    try:
        return resolve_judge(project, name)
    except (LookupError, JudgeConfigError) as exc:
        fail(str(exc))


def _measure_panel(
    project: Project,
    store: Store,
    spec: Any,
    golden: str,
    fractions: tuple[float, float, float],
    seed: int,
    limit: int | None,
    options: Any,
    as_json: bool,
    budget_usd: float | None = None,
) -> None:
    """A panel is not optimised as a whole (calibrate its members); it is measured on the golden
    test split: each member's agreement and cost beside the panel's."""
    from evalwheel.judges.panel import PanelConfigError, check_shared_labels, member_weights
    from evalwheel.judges.panel_eval import evaluate_panel
    from evalwheel.judges.registry import JudgeRegistry
    from evalwheel.llm.budget import Budget, BudgetTracker
    from evalwheel.llm.errors import BudgetExceeded, DeadlineExceeded

    registry = JudgeRegistry(store)
    members = {m: load_judge(project, store, m) for m in spec.members}
    arbiter = load_judge(project, store, spec.arbiter) if spec.arbiter else None
    first = next(iter(members.values()))
    golden_set = _golden(store, golden, first, fractions, seed, limit)
    test = golden_set.split("test")
    tracker = BudgetTracker(Budget(usd=budget_usd))
    clients: dict[str, Any] = {}
    for judge in [*members.values(), *([arbiter] if arbiter else [])]:
        if judge.model not in clients:
            clients[judge.model] = judge_client(project, store, judge.model, tracker=tracker)
    try:
        check_shared_labels(spec.name, [*members.values(), *([arbiter] if arbiter else [])])
        weights = member_weights(spec, members, registry)
    except PanelConfigError as exc:
        fail(str(exc))

    async def go():
        async with AsyncExitStack() as stack:
            for client in clients.values():
                await stack.enter_async_context(client)
            with progress_bar() as bar:
                task = bar.add_task(f"panel {spec.name} on the test split", total=len(test))
                return await evaluate_panel(
                    spec,
                    {n: (j, clients[j.model]) for n, j in members.items()},
                    (arbiter, clients[arbiter.model]) if arbiter else None,
                    test,
                    weights=weights,
                    concurrency=options.concurrency,
                    resamples=options.resamples,
                    seed=seed,
                    on_item=lambda: bar.advance(task),
                )

    try:
        result = asyncio.run(go())
    except (BudgetExceeded, DeadlineExceeded) as exc:
        fail(f"panel {spec.name}: stopped by the budget ({exc}); finished calls are cached")
    if as_json:
        emit_json(result)
        return
    out.print(
        f"panel {spec.name} on {golden_set.ref} test split (n={result['n_items']})", highlight=False
    )
    for name, m in result["members"].items():
        out.print(
            f"  member {name:20} kappa {fmt_kappa(m['cohen_kappa'])} errors={m['errors']} "
            f"cost ${m['cost_usd']:.4f} tokens={m['tokens']}",
            highlight=False,
        )
    p = result["panel"]
    out.print(
        f"  panel ({spec.aggregation}) kappa {fmt_kappa(p['cohen_kappa_all_items'])} over all items "
        f"(escalations count as disagreements); {fmt_kappa(p['cohen_kappa_decided'])} on the "
        f"{p['n_decided']} decided; arbiter calls {p['arbiter_calls']}, escalated {p['n_escalated']}; "
        f"cost ${p['cost_usd']:.4f}, tokens {p['tokens']}; human ceiling {p['human_ceiling']}",
        highlight=False,
    )


@app.command("sample-size")
def sample_size(
    kappa: Annotated[float, typer.Option(help="The kappa you expect.")] = 0.6,
    prevalence: Annotated[
        str, typer.Option(help="Label shares, comma-separated (e.g. 0.5,0.5 or 0.8,0.2).")
    ] = "0.5,0.5",
    half_width: Annotated[float, typer.Option(help="Wanted ± on kappa.")] = 0.10,
    confidence: Annotated[float, typer.Option()] = 0.95,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """How many items to label for a kappa interval of ± HALF_WIDTH (a planning figure)."""
    from evalwheel.stats.agreement import sample_size_for_kappa

    try:
        shares = [float(p) for p in prevalence.split(",")]
        n = sample_size_for_kappa(
            kappa=kappa, prevalence=shares, half_width=half_width, confidence=confidence
        )
    except ValueError as exc:
        fail(f"--prevalence/--kappa: {exc}")
    if as_json:
        emit_json({"items": n, "kappa": kappa, "prevalence": shares, "half_width": half_width})
    else:
        out.print(
            f"about {n} labelled items for kappa {kappa} ± {half_width} at {confidence:.0%} "
            f"with label shares {shares}",
            highlight=False,
        )
