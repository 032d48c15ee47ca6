"""``evalwheel labels …`` (human labels in long format, the review queue) and ``evalwheel
agreement`` (every agreement statistic for any long-format label file): parse, call
``evalwheel.labels.api``, print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evalwheel.cli.dataset_cmds import parse_field_map
from evalwheel.cli.output import emit_json, out
from evalwheel.labels import api

app = typer.Typer(help="Human labels (long format) and the review queue.", no_args_is_help=True)

FieldOption = Annotated[
    list[str] | None,
    typer.Option(
        "--field", help="FIELD=COLUMN: read COLUMN as item/annotator/label/rationale/adjudicated."
    ),
]


@app.command("import")
def import_labels(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV/TSV, JSONL or Parquet: item, annotator, label[, rationale, adjudicated]."
        ),
    ],
    dataset: Annotated[
        str, typer.Option("--dataset", "-d", help="The dataset the items belong to (its name).")
    ],
    fields: FieldOption = None,
    fmt: Annotated[str | None, typer.Option("--format")] = None,
    replace: Annotated[
        bool, typer.Option(help="Overwrite labels that differ from stored ones.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import labels; many annotators per item, adjudicated labels kept beside the raw ones."""
    result = api.import_labels(
        file, dataset, fields=parse_field_map(fields), fmt=fmt, replace=replace
    )
    if as_json:
        emit_json(result)
        return
    out.print(
        f"{result.dataset}: {result.added} labels added, {result.unchanged} unchanged, "
        f"{result.replaced} replaced ({result.items} items; annotators: "
        f"{', '.join(result.annotators)})",
        highlight=False,
    )


@app.command("list")
def list_labels(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Labelled datasets: items, raw and adjudicated labels."""
    summary = api.list_labels()
    if as_json:
        emit_json({name: counts.model_dump() for name, counts in summary.items()})
        return
    for name, entry in sorted(summary.items()):
        out.print(
            f"{name:32} items={entry.items} raw={entry.raw} adjudicated={entry.adjudicated}",
            highlight=False,
        )


@app.command("queue")
def review_queue(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Open review items (what panels escalated), highest priority first."""
    items = api.review_queue()
    if as_json:
        emit_json([i.model_dump(mode="json") for i in items])
        return
    for item in items:
        out.print(
            f"{item.id}  p={item.priority:g}  {item.subject}  {item.details.get('reason', '')}",
            highlight=False,
        )
    if not items:
        out.print("the review queue is empty", highlight=False)


@app.command("resolve")
def resolve_review(
    item_id: Annotated[str, typer.Argument(help="A review item id (from `labels queue`).")],
    label: Annotated[str, typer.Option("--label", "-l", help="The human's label.")],
    annotator: Annotated[str, typer.Option("--annotator", "-a", help="Who decided.")],
    rationale: Annotated[str | None, typer.Option(help="Why.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Decide an escalated item: it leaves the queue and its held-back score takes your label."""
    item = api.resolve_review(item_id, label, annotator, rationale)
    if as_json:
        emit_json(item.model_dump(mode="json"))
    else:
        out.print(f"{item.id} resolved: {label} by {annotator} ({item.subject})", highlight=False)


def agreement(
    file: Annotated[
        Path, typer.Argument(help="Long-format labels: item, annotator (rater), label.")
    ],
    level: Annotated[str, typer.Option(help="nominal, ordinal or interval.")] = "nominal",
    reference: Annotated[
        str | None, typer.Option(help="A rater to judge the others against (TPR/TNR).")
    ] = None,
    categories: Annotated[
        str | None,
        typer.Option(help="Comma-separated label order (needed for ordinal text labels)."),
    ] = None,
    positive: Annotated[str | None, typer.Option(help="The positive label for TPR/TNR.")] = None,
    include_adjudicated: Annotated[
        bool, typer.Option(help="Treat adjudicated rows as one more rater.")
    ] = False,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples over items.")] = 10_000,
    seed: Annotated[int, typer.Option()] = 0,
    fields: FieldOption = None,
    fmt: Annotated[str | None, typer.Option("--format")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every agreement statistic for every pair of raters and for all raters together, with 95%
    bootstrap intervals over items."""
    from evalwheel.stats.agreement_report import to_text

    report = api.agreement(
        file,
        level=level,  # type: ignore[arg-type]  # checked by api.agreement
        reference=reference,
        categories=[c.strip() for c in categories.split(",")] if categories else None,
        positive=positive,
        include_adjudicated=include_adjudicated,
        resamples=resamples,
        seed=seed,
        fields=parse_field_map(fields),
        fmt=fmt,
    )
    if as_json:
        emit_json(report.model_dump(mode="json"))
    else:
        out.print(to_text(report), highlight=False)
