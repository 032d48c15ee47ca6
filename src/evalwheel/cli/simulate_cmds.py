"""``evalwheel simulate …``: essences from real conversations, simulated episodes, the report."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from evalwheel.api.simulation import extract_essences, simulate
from evalwheel.api.simulation_report import SimulationReport, simulation_report
from evalwheel.cli.context import current_project
from evalwheel.cli.output import (
    EXIT_CHECK_FAILED,
    emit_json,
    finite_or_none,
    info,
    out,
    progress_bar,
)
from evalwheel.cli.run_cmds import run_progress
from evalwheel.report.text import summary_lines

app = typer.Typer(
    help="Simulated users: extract goals from real conversations and replay them against a system.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command("extract")
def extract_cmd(
    conversations: Annotated[
        str, typer.Argument(help="NAME[@VERSION] of a conversations dataset.")
    ],
    name: Annotated[str, typer.Option("--name", "-n", help="The essences dataset to store.")],
    model: Annotated[str, typer.Option(help="Model that reads persona, tone and goals.")] = "local",
    no_model: Annotated[
        bool, typer.Option("--no-model", help="Rules only: no persona, tone measured.")
    ] = False,
    app_name: Annotated[str | None, typer.Option("--app", help="The application.")] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Only the first N conversations.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Extract each conversation's essence (goal, constraints, held-back facts, persona, tone,
    success) and store them as a new version of an essences dataset."""
    with progress_bar() as bar:
        task: list[int] = []

        def on_progress(done: int, total: int) -> None:
            if not task:
                task.append(bar.add_task("extracting", total=total))
            bar.update(task[0], completed=done, total=total)

        result = extract_essences(
            conversations,
            name=name,
            model=None if no_model else model,
            app=app_name,
            limit=limit,
            project=current_project(),
            on_progress=on_progress,
        )
    if as_json:
        emit_json(result)
        return
    out.print(f"stored {result.dataset}: {result.n_essences} essences from {result.source}")
    out.print(f"held-back facts per essence: {result.facts_per_essence:.2f}")
    for field, counts in sorted(result.provenance.items()):
        shown = ", ".join(f"{source} {n}" for source, n in sorted(counts.items()))
        out.print(f"  {field}: {shown}")
    if result.model_errors:
        info(
            f"the model gave no usable reading for {result.model_errors} conversations (rules used)"
        )


@app.command("run")
def run_cmd(
    system: Annotated[str, typer.Option("--system", "-s", help="The system to simulate against.")],
    essences: Annotated[str, typer.Option("--essences", "-e", help="NAME[@VERSION] of essences.")],
    trials: Annotated[int, typer.Option(min=1, max=100, help="Episodes per essence (pass^k).")] = 1,
    user_model: Annotated[
        str, typer.Option(help="Model that plays the user ('replay': the real user's own words).")
    ] = "local",
    max_turns: Annotated[int, typer.Option(min=1, max=50, help="Most user turns.")] = 6,
    temperature: Annotated[
        float, typer.Option(min=0.0, max=2.0, help="The user's sampling.")
    ] = 0.7,
    opening: Annotated[
        str, typer.Option(help="simulated (the user writes it) or real (the conversation's own).")
    ] = "simulated",
    reviewer_model: Annotated[
        str | None, typer.Option(help="A model that reviews each transcript besides the rules.")
    ] = None,
    retries: Annotated[int, typer.Option(min=0, max=5, help="Re-runs of a flagged episode.")] = 1,
    split: Annotated[str | None, typer.Option(help="train, dev or test.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N essences.")] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Only essences with this tag (repeatable).")
    ] = None,
    scorer: Annotated[
        list[str] | None,
        typer.Option("--scorer", help="Generic scorer of the final result (json_match…)."),
    ] = None,
    judge: Annotated[
        list[str] | None, typer.Option("--judge", help="Judge or panel scoring each episode.")
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Episodes in flight.")] = 2,
    budget_usd: Annotated[
        float | None, typer.Option("--budget-usd", min=0.0, callback=finite_or_none)
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Simulate every essence against SYSTEM; a stored, resumable run (evalwheel run --resume)."""
    if opening not in ("simulated", "real"):
        raise typer.BadParameter("simulated or real", param_hint="--opening")
    chosen: Literal["simulated", "real"] = "real" if opening == "real" else "simulated"
    with run_progress() as on_progress:
        result = simulate(
            system,
            essences,
            project=current_project(),
            user_model=user_model,
            trials=trials,
            max_turns=max_turns,
            temperature=temperature,
            opening=chosen,
            reviewer_model=reviewer_model,
            retries=retries,
            split=split,
            limit=limit,
            tags=tag or [],
            scorers=scorer or [],
            judges=judge or [],
            concurrency=concurrency,
            budget_usd=budget_usd,
            on_progress=on_progress,
        )
    if as_json:
        emit_json(
            {
                "progress": result.progress.model_dump(mode="json"),
                "summary": result.summary.model_dump(mode="json"),
            }
        )
    else:
        for line in summary_lines(result.summary):
            out.print(line)
        out.print(f"evalwheel simulate report {result.run_id} shows the simulator's own figures")
    if result.progress.remaining:
        info(f"stopped early: {result.progress.stopped}; evalwheel run --resume {result.run_id}")
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command("report")
def report_cmd(
    run_id: Annotated[str, typer.Argument(help="A simulation run.")],
    conversations: Annotated[
        str | None, typer.Option(help="Real conversations to compare with (default: the source).")
    ] = None,
    discriminate_with: Annotated[
        str | None,
        typer.Option("--discriminate-with", help="Judge model for the real-vs-simulated test."),
    ] = None,
    max_pairs: Annotated[int, typer.Option(min=1, help="Pairs shown to that judge.")] = 60,
    as_json: JsonFlag = False,
) -> None:
    """The agent's score with the simulator's error rate, realism, control and pass^k."""
    report = simulation_report(
        run_id,
        conversations=conversations,
        discriminate_with=discriminate_with,
        max_pairs=max_pairs,
        project=current_project(),
    )
    if as_json:
        emit_json(report)
        return
    for line in report_lines(report):
        out.print(line)


def report_lines(report: SimulationReport) -> list[str]:
    """The report as text: score first, the simulator's figures beside it."""
    spec = report.simulation
    errors = report.simulator_errors
    lines = [
        f"simulation run {report.run_id}: system {report.system} on {report.essences}",
        f"user model {spec.user_model}, at most {spec.max_turns} turns, reviewer {spec.reviewer}, "
        f"{spec.retries} retries",
        f"success ({report.success_scorer or 'none'}) {report.success.text()}",
        f"  on clean episodes {report.success_on_clean_episodes.text()}",
        f"simulator errors   {errors.first_attempt.text()} of episodes on the first attempt, "
        f"{errors.after_retries.text()} after retries ({errors.retried} retried)",
    ]
    for kind, count in errors.by_kind.items():
        lines.append(f"  {kind:<17} {count}")
    if report.pass_k is not None:
        for entry in report.pass_k.per_k:
            lines.append(
                f"pass^{entry.k:<2} {entry.pass_hat_k.text()}   pass@{entry.k} {entry.pass_at_k.text()}"
            )
    if report.control is not None:
        c = report.control
        which = (
            "the system that served them"
            if c.same_system
            else (f"NOT the system that served them ({', '.join(c.served_by) or 'unknown'})")
        )
        lines.append(f"control vs real outcomes ({which}): agreement {c.agreement.text()}")
        lines.append(
            f"  real success: sim success {c.real_success_sim_success}, failure "
            f"{c.real_success_sim_failure}; real failure: sim success "
            f"{c.real_failure_sim_success}, failure {c.real_failure_sim_failure}"
        )
    if report.realism is not None:
        lines.append(f"realism against {report.real_conversations} (real → simulated, p):")
        for f in report.realism.figures:
            p = "n/a" if f.p_value is None else f"{f.p_value:.3g}"
            lines.append(f"  {f.name:<20} {_num(f.real)} → {_num(f.simulated)}  p={p}")
    if report.discrimination is not None:
        d = report.discrimination
        p = "n/a" if d.p_value is None else f"{d.p_value:.3g}"
        lines.append(
            f"judge {d.judge} told real from simulated: {d.accuracy.text()} (0.5: cannot tell), "
            f"p={p}, unanswered {d.unanswered}"
        )
    lines += ["", *summary_lines(report.summary)]
    return lines


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"
