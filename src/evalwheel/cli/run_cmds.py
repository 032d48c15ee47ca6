"""``evalwheel run`` and ``evalwheel runs …``: evaluation runs, resumable, with honest aggregates."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Annotated, Any

import typer

from evalwheel.apps import load_apps
from evalwheel.cli.context import project_store
from evalwheel.cli.judge_cmds import build_judge_scorers, pin_judges
from evalwheel.cli.output import (
    EXIT_CHECK_FAILED,
    emit_json,
    fail,
    finite_or_none,
    info,
    out,
    progress_bar,
)
from evalwheel.core.system import System
from evalwheel.llm.budget import Budget, BudgetTracker
from evalwheel.llm.client import ModelClient
from evalwheel.llm.errors import ModelConfigError
from evalwheel.llm.project_models import project_models, project_prices
from evalwheel.llm.registry import get_model
from evalwheel.project import Project
from evalwheel.runner.aggregate import summarize
from evalwheel.runner.runner import RunPlan, create_run, execute_run, load_plan
from evalwheel.runner.scorers import registry
from evalwheel.runner.systems import resolve_system
from evalwheel.store.datasets import DatasetNotFound, DatasetRepository

runs_app = typer.Typer(help="Evaluation runs: list and inspect.", no_args_is_help=True)


def _system(project: Project, name: str) -> System:
    try:
        return resolve_system(project, name)
    except LookupError as exc:
        fail(str(exc))


def run(
    system: Annotated[
        str | None,
        typer.Option("--system", "-s", help="System name ([systems.NAME] or APP-local)."),
    ] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", "-d", help="NAME[@VERSION].")] = None,
    split: Annotated[
        str | None, typer.Option(help="train, dev or test (default: all items).")
    ] = None,
    repeat: Annotated[int, typer.Option(min=1, max=1000, help="Runs per item (for pass^k).")] = 1,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N items.")] = None,
    scorer: Annotated[
        list[str] | None,
        typer.Option(
            "--scorer",
            help="Extra scorer (repeatable): a generic one, or judge:NAME for a judge/panel.",
        ),
    ] = None,
    allow_untrusted_judge: Annotated[
        bool, typer.Option(help="Use judges that have not passed their promotion gate.")
    ] = False,
    concurrency: Annotated[int, typer.Option(min=1, max=4096, help="Items in flight.")] = 4,
    budget_usd: Annotated[
        float | None, typer.Option("--budget-usd", min=0.0, callback=finite_or_none)
    ] = None,
    resume: Annotated[
        str | None, typer.Option("--resume", help="Finish an interrupted run.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run a system over a dataset; prints the run id and its aggregates. Resumable after any kill."""
    with project_store() as (project, store):
        if resume:
            try:
                row, plan = load_plan(store, resume)
            except LookupError as exc:
                fail(str(exc))
            run_id = resume
            system_obj = _system(project, row.system_name)
        else:
            if not system or not dataset:
                fail("give --system and --dataset, or --resume RUN")
            system_obj = _system(project, system)
            try:
                version = DatasetRepository(store).resolve(dataset)
            except (DatasetNotFound, ValueError) as exc:
                fail(str(exc))
            if split not in (None, "train", "dev", "test"):
                fail(f"--split must be train, dev or test, not {split!r}")
            judge_names = [s.removeprefix("judge:") for s in scorer or [] if s.startswith("judge:")]
            scorer = [s for s in scorer or [] if not s.startswith("judge:")]
            unknown = [s for s in scorer if s not in registry()]
            if unknown:
                fail(
                    f"unknown scorer(s) {', '.join(unknown)}; known: {', '.join(sorted(registry()))}"
                )
            plan = RunPlan.for_system(
                system_obj,
                version,
                project.config.datasets.splits,
                split=split,
                repeat=repeat,
                limit=limit,
                scorers=scorer,
            )
            plan.judges = pin_judges(
                project,
                store,
                judge_names,
                allow_untrusted=allow_untrusted_judge,
                app_name=system_obj.app,
            )
        app = load_apps().get(plan.app)
        if app is None:
            fail(f"application {plan.app!r} is not installed")
        try:
            spec = get_model(project_models(project), system_obj.model)
            client = ModelClient(
                spec, store=store, budget=Budget(usd=budget_usd), prices=project_prices(project)
            )
        except ModelConfigError as exc:
            fail(str(exc))
        if not resume:
            run_id = create_run(store, system_obj, plan)
            info(
                f"run {run_id}: {system_obj.name} on {version.ref}"
                + (f" ({split})" if split else "")
            )

        judge_scorers, judge_clients = build_judge_scorers(
            project, store, plan.judges, tracker=client.tracker
        )

        async def go():  # -> RunProgress
            async with AsyncExitStack() as stack:
                await stack.enter_async_context(client)
                for judge_client in judge_clients:
                    await stack.enter_async_context(judge_client)
                with progress_bar() as bar:
                    task = bar.add_task(run_id, total=None)
                    return await execute_run(
                        store,
                        run_id,
                        app,
                        client,
                        registry(),
                        concurrency=concurrency,
                        on_item=lambda: bar.advance(task),
                        judge_scorers=judge_scorers,
                    )

        progress = asyncio.run(go())
        summary = summarize(store, run_id)
    if as_json:
        emit_json({"progress": progress.model_dump(), "summary": summary})
    else:
        _print_summary(summary)
        if progress.stopped:
            info(f"stopped early: {progress.stopped}; evalwheel run --resume {run_id} continues")
    if progress.remaining:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _fmt(estimate: dict[str, Any]) -> str:
    if estimate["estimate"] is None:
        return "n=0"
    return f"{estimate['estimate']:.3f} [{estimate['ci_low']:.3f}, {estimate['ci_high']:.3f}] n={estimate['n']}"


def _print_summary(summary: dict[str, Any]) -> None:
    out.print(
        f"{summary['run_id']}  {summary['status']}  {summary['system']['name']} on {summary['dataset'][:60]}",
        highlight=False,
    )
    out.print(
        f"items {summary['done']}/{summary['planned']} done, {summary['errors']} errors (counted as failures); "
        f"cost ${summary['cost_usd']:.6f}",
        highlight=False,
    )
    for name, entry in summary["scorers"].items():
        if entry["pass_rate"]["n"] or "mean" not in entry:
            out.print(f"  {name:24} {_fmt(entry['pass_rate'])}", highlight=False)
        if "mean" in entry:
            out.print(f"  {name:24} mean {_fmt(entry['mean'])}", highlight=False)


@runs_app.command("show")
def show(
    run_id: Annotated[str, typer.Argument()],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A run's aggregates: per scorer and per slice, with n and 95% intervals."""
    with project_store() as (_, store):
        try:
            summary = summarize(store, run_id)
        except LookupError as exc:
            fail(str(exc))
    if as_json:
        emit_json(summary)
        return
    _print_summary(summary)
    for name, entry in summary["scorers"].items():
        for tag, estimate in entry["slices"].items():
            out.print(f"    {name} / {tag:28} {_fmt(estimate)}", highlight=False)


@runs_app.command("list")
def list_runs(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Runs, newest first."""
    from evalwheel.store.runs import RunRepository, shown_status

    with project_store() as (_, store):
        rows = RunRepository(store).list()
        data = [
            {
                "id": r.id,
                "system": r.system_name,
                "dataset": r.dataset,
                "split": r.split,
                "status": shown_status(r),
                "n_items": r.n_items,
                "created_at": r.created_at.isoformat(),
            }
            for r in rows
        ]
    if as_json:
        emit_json(data)
        return
    for r in data:
        out.print(
            f"{r['id']}  {r['status']:11} {r['system']:20} {r['dataset'][:40]} {r['split'] or '-'} n={r['n_items']}",
            highlight=False,
        )


def compare(
    run_a: Annotated[str, typer.Argument(help="Baseline run.")],
    run_b: Annotated[str, typer.Argument(help="Candidate run.")],
    scorer: Annotated[
        str | None, typer.Option(help="Scorer to compare (default: the app's *.pass).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Paired comparison on shared items: improvements, regressions, McNemar and bootstrap, per slice."""
    from evalwheel.runner.compare import compare_runs

    with project_store() as (_, store):
        try:
            summary = summarize(store, run_b)
            summarize(store, run_a)
        except LookupError as exc:
            fail(str(exc))
        chosen = scorer or next((s for s in summary["scorers"] if s.endswith(".pass")), None)
        if chosen is None:
            fail("name a --scorer: the run has no *.pass scorer")
        result = compare_runs(store, run_a, run_b, chosen)
    if as_json:
        emit_json(result)
        return
    o = result["overall"]
    p = o["mcnemar"]["p_value"]
    out.print(
        f"{chosen}: {result['shared_items']} shared items; A {o['pass_rate_a'] or 0:.3f} → B {o['pass_rate_b'] or 0:.3f}; "
        f"{len(result['improvements'])} improvements, {len(result['regressions'])} regressions; "
        f"McNemar p = {'n/a' if p is None else f'{p:.4f}'}",
        highlight=False,
    )
    d = o["paired_bootstrap"]
    if d["difference"] is not None:
        out.print(
            f"difference B − A = {d['difference']:+.3f} [{d['ci_low']:+.3f}, {d['ci_high']:+.3f}] (paired bootstrap, 95%)",
            highlight=False,
        )


def report(
    run_id: Annotated[str, typer.Argument(help="The run to report on.")],
    vs: Annotated[str | None, typer.Option("--vs", help="A baseline run to compare with.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="html, md or json.")] = "html",
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="File to write (default: report-RUN.EXT).")
    ] = None,
) -> None:
    """Write a report: one self-contained HTML file, Markdown for pull requests, or JSON."""
    import json
    from pathlib import Path

    from evalwheel.report.data import report_data
    from evalwheel.report.render import to_html, to_markdown
    from evalwheel.runner.runner import load_plan

    if fmt not in ("html", "md", "json"):
        fail(f"--format must be html, md or json, not {fmt!r}")
    with project_store() as (_, store):
        try:
            _, plan = load_plan(store, run_id)
            data = report_data(store, run_id, load_apps().get(plan.app), vs)
        except LookupError as exc:
            fail(str(exc))
    text = {
        "html": to_html,
        "md": to_markdown,
        "json": lambda d: json.dumps(d, indent=2, default=str),
    }[fmt](data)
    path = Path(output or f"report-{run_id}.{fmt}")
    path.write_text(text, encoding="utf-8")
    out.print(str(path.resolve()), highlight=False)


def gate(
    tier: Annotated[
        str,
        typer.Option("--tier", help="commit, merge or release ([gates.TIER] in evalwheel.toml)."),
    ],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run a tier's gate: exit 0 pass, 1 fail, 2 error (bad policy, budget estimate too high, incomplete run)."""
    from pydantic import ValidationError

    from evalwheel.llm.budget import Estimate
    from evalwheel.llm.prices import price_for
    from evalwheel.runner.gates import GatePolicy, judge

    with project_store() as (project, store):
        table = project.config.gates.get(tier)
        if table is None:
            fail(f"no [gates.{tier}] in {project.config_path}")
        try:
            policy = GatePolicy.model_validate(table)
        except ValidationError as exc:
            fail(
                "; ".join(
                    f"{project.config_path}: gates.{tier}.{'.'.join(map(str, e['loc']))}: {e['msg']}"
                    for e in exc.errors()
                )
            )
        system_obj = _system(project, policy.system)
        try:
            version = DatasetRepository(store).resolve(policy.dataset)
            spec = get_model(project_models(project), system_obj.model)
        except (DatasetNotFound, ValueError, ModelConfigError) as exc:
            fail(str(exc))
        plan = RunPlan.for_system(
            system_obj,
            version,
            project.config.datasets.splits,
            split=policy.split,
            repeat=policy.repeat,
            limit=policy.limit,
        )
        from evalwheel.runner.runner import select_examples

        n_items = len(select_examples(DatasetRepository(store), plan)) * policy.repeat
        tracker = BudgetTracker(
            Budget(
                usd=policy.budget.usd, tokens=policy.budget.tokens, seconds=policy.budget.seconds
            )
        )
        plan.judges = pin_judges(
            project,
            store,
            policy.judges,
            allow_untrusted=policy.allow_untrusted_judge,
            app_name=system_obj.app,
        )
        judge_scorers, judge_clients = build_judge_scorers(
            project, store, plan.judges, tracker=tracker
        )
        price = price_for(spec, project_prices(project))
        tokens = n_items * (
            policy.tokens_per_item + len(plan.judges) * policy.judge_tokens_per_item
        )
        estimate = Estimate(
            requests=n_items,
            input_tokens=tokens,
            output_tokens=0,
            usd=price.cost(tokens, 0) if price else None,
        )
        b = policy.budget
        if b.tokens is not None and tokens > b.tokens:
            fail(
                f"gate {tier}: estimated {tokens} tokens for {n_items} items exceeds the budget of {b.tokens}"
            )
        if b.usd is not None and estimate.usd is not None and estimate.usd > b.usd:
            fail(
                f"gate {tier}: estimated ${estimate.usd:.4f} for {n_items} items exceeds the budget of ${b.usd}"
            )
        run_id = create_run(store, system_obj, plan)
        app = load_apps().get(system_obj.app)
        if app is None:
            fail(f"application {system_obj.app!r} is not installed")

        async def go():  # -> RunProgress
            async with (
                ModelClient(
                    spec, store=store, tracker=tracker, prices=project_prices(project)
                ) as client,
                AsyncExitStack() as stack,
            ):
                for judge_client in judge_clients:
                    await stack.enter_async_context(judge_client)
                return await execute_run(
                    store, run_id, app, client, registry(), judge_scorers=judge_scorers
                )

        progress = asyncio.run(go())
        if progress.remaining:
            fail(
                f"gate {tier}: run {run_id} stopped with {progress.remaining} items left ({progress.stopped}); "
                f"evalwheel run --resume {run_id} finishes it"
            )
        verdict = judge(tier, policy, summarize(store, run_id), store)
    if as_json:
        emit_json(verdict)
    else:
        out.print(
            f"gate {tier}: {'PASS' if verdict.passed else 'FAIL'} (run {run_id})", highlight=False
        )
        for check in verdict.checks:
            out.print(
                f"  {'ok  ' if check['passed'] else 'FAIL'} {check['check']}: "
                + ", ".join(f"{k}={v}" for k, v in check.items() if k not in ("check", "passed")),
                highlight=False,
            )
    if not verdict.passed:
        raise typer.Exit(EXIT_CHECK_FAILED)
