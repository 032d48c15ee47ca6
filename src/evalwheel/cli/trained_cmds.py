"""``evalwheel trained …``: the registered fine-tunes (candidate, promoted, rejected)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from evalwheel.cli.context import current_project
from evalwheel.cli.output import emit_json, out

app = typer.Typer(help="Trained models registered as candidate systems.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (shape: docs/cli.md).")]


@app.command("list")
def list_cmd(
    status: Annotated[
        str | None, typer.Option(help="Only candidate, promoted or rejected models.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every trained model: its base system, data, adapter digest, final loss and status."""
    from evalwheel.api.trained_models import trained_models
    from evalwheel.errors import InputError

    if status not in (None, "candidate", "promoted", "rejected"):
        raise InputError("one of candidate, promoted, rejected", field="--status")
    models = trained_models(current_project(), status=status)  # type: ignore[arg-type]
    if as_json:
        emit_json([m.model_dump(mode="json") for m in models])
        return
    table = Table("name", "base system", "data", "adapter sha256", "final loss", "status")
    for model in models:
        loss = model.metrics.final_loss
        table.add_row(
            model.name,
            model.base_system,
            model.training_data,
            model.adapter_sha256[:12],
            "-" if loss is None else f"{loss:.4f}",
            model.status,
        )
    out.print(table)


@app.command("reject")
def reject_cmd(name: Annotated[str, typer.Argument(help="A registered trained model.")]) -> None:
    """Mark a trained model rejected (only `trained promote` promotes: through a gate)."""
    from evalwheel.api.trained_models import set_trained_status

    model = set_trained_status(name, "rejected", project=current_project())
    out.print(f"{model.name}: {model.status}")


@app.command("promote")
def promote_cmd(
    name: Annotated[str, typer.Argument(help="A registered trained model.")],
    tier: Annotated[str, typer.Option(help="The [gates.TIER] to hold it to.")] = "merge",
    baseline: Annotated[
        str | None,
        typer.Option(help="The current system's run on the tier's dataset (default: the tier's)."),
    ] = None,
    mirror: Annotated[
        str | None, typer.Option(help="A mirror of the current system against this candidate.")
    ] = None,
    require_improvement: Annotated[
        bool,
        typer.Option(
            "--require-improvement/--no-require-improvement",
            help="Also demand a significant gain over the baseline (default on).",
        ),
    ] = True,
    as_json: JsonFlag = False,
) -> None:
    """Gate the candidate against the current system (the tier's checks, McNemar overall and per
    slice, the mirror's sign test); promoted when every check passes, rejected otherwise. Exit 1
    when rejected."""
    from evalwheel.api.promotion import promote

    result = promote(
        name,
        tier=tier,
        baseline=baseline,
        mirror=mirror,
        require_improvement=require_improvement,
        project=current_project(),
    )
    if as_json:
        emit_json(result)
    else:
        for line in promotion_lines(result):
            out.print(line, highlight=False)
    if not result.promoted:
        raise typer.Exit(1)


def promotion_lines(result: Any) -> list[str]:
    """The verdict as text: the overall comparison, then every check (failed ones say why)."""
    lines = [f"{result.model.name}: {result.model.status} (gate run {result.verdict.run_id})"]
    comparison = result.comparison
    if comparison is not None:
        block = comparison.overall
        p = block.mcnemar.p_value
        lines.append(
            f"{comparison.scorer}: baseline {_rate(block.pass_rate_a)} -> candidate "
            f"{_rate(block.pass_rate_b)} "
            f"on {block.n} shared items; McNemar p={'-' if p is None else f'{p:.4g}'} "
            f"({block.mcnemar.only_b} fixed, {block.mcnemar.only_a} broken)"
        )
    for check in result.verdict.checks:
        mark = "ok  " if check.passed else "FAIL"
        lines.append(f"  {mark} {check.check}" + (f": {check.why}" if check.why else ""))
    return lines


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
