"""``evalwheel dataset …``: import, list, show, export, diff, split, schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from evalwheel.api.contamination import contamination as api_contamination
from evalwheel.api.datasets import import_dataset as api_import_dataset
from evalwheel.api.datasets import split_dataset as api_split_dataset
from evalwheel.api.datasets import split_policy, split_signature
from evalwheel.cli.contamination_text import contamination_lines
from evalwheel.cli.context import current_project, project_store
from evalwheel.cli.output import (
    EXIT_CHECK_FAILED,
    emit_json,
    err,
    fail,
    info,
    out,
    progress_bar,
    visible,
    warn,
)
from evalwheel.core.dataset import DatasetVersion
from evalwheel.core.hashing import short
from evalwheel.datasets.diff import diff_items
from evalwheel.datasets.exporter import write_csv, write_jsonl
from evalwheel.datasets.importer import ImportFailed
from evalwheel.datasets.kinds import dataset_kinds, kind_owner, row_schema
from evalwheel.datasets.splits import SignatureFn, SplitPolicy, assign_split
from evalwheel.errors import CheckFailed
from evalwheel.project import Project, ProjectNotFound, find_project
from evalwheel.store.datasets import DatasetNotFound, DatasetRepository

app = typer.Typer(help="Import, version, inspect and export datasets.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON (shape: docs/cli.md).")]


def parse_field_map(pairs: list[str] | None) -> dict[str, str]:
    mapping = {}
    for pair in pairs or []:
        target, sep, source = pair.partition("=")
        if not sep or not target or not source:
            fail(f"--field takes FIELD=COLUMN (e.g. input=request), not {pair!r}")
        mapping[target.strip()] = source.strip()
    return mapping


def import_with_progress(
    project: Project,
    path: Path,
    name: str,
    kind: str,
    fmt: str | None = None,
    field_map: dict[str, str] | None = None,
) -> tuple[DatasetVersion, bool]:
    """``evalwheel.api.import_dataset`` with progress bars; a bad file prints every bad row."""
    with progress_bar() as bar:
        reading = bar.add_task(f"validating {path.name}", total=None)
        writing: list[int] = []

        def on_write(done: int, total: int) -> None:
            if not writing:
                info(f"validated {total // 2} rows from {path}; writing {name} ({kind})")
                writing.append(bar.add_task(f"writing {name}", total=total))
            bar.update(writing[0], completed=done, total=total)

        try:
            return api_import_dataset(
                path,
                name,
                kind,
                project=project,
                fmt=fmt,
                fields=field_map,
                on_read=lambda done, total, rows: bar.update(reading, completed=done, total=total),
                on_write=on_write,
            )
        except ImportFailed as exc:
            bar.stop()
            for line in exc.lines():
                err.print(line)
            if exc.truncated:
                err.print(f"(stopped after {len(exc.errors)} errors)")
            fail(f"{path}: {len(exc.errors)} problem(s); nothing was imported")


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="A .jsonl, .csv/.tsv or .parquet file.")],
    name: Annotated[str, typer.Option("--name", "-n", help="Dataset name.")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            "-k",
            help="Row schema to validate against: benchmark, golden, traffic, synthetic, qa, or "
            "an application's kind (evalwheel dataset schema --list).",
        ),
    ],
    fmt: Annotated[
        str | None, typer.Option("--format", help="jsonl|csv|parquet (default: from the suffix).")
    ] = None,
    fields: Annotated[
        list[str] | None,
        typer.Option("--field", help="FIELD=COLUMN: read COLUMN as FIELD (repeatable)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Import a file as a new immutable version (the same content gives the same version)."""
    mapping = parse_field_map(fields)
    version, created = import_with_progress(current_project(), file, name, kind, fmt, mapping)
    if as_json:
        emit_json(
            {"version": version.model_dump(mode="json"), "ref": version.ref, "created": created}
        )
        return
    state = "imported" if created else "unchanged (same content as an existing version)"
    out.print(f"{version.ref}  v{version.seq}  {version.n_items} items  {state}", highlight=False)


@app.command("list")
def list_cmd(
    all_versions: Annotated[
        bool, typer.Option("--all", help="Every version, not just the latest.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Datasets and their versions."""
    with project_store() as (_, store):
        repo = DatasetRepository(store)
        versions = repo.list_versions() if all_versions else repo.latest_versions()
    if as_json:
        emit_json([dict(v.model_dump(mode="json"), ref=v.ref) for v in versions])
        return
    if not versions:
        info("no datasets yet: evalwheel dataset import FILE --name N --kind K")
        return
    table = Table("name", "kind", "version", "seq", "items", "created")
    for v in versions:
        table.add_row(
            v.name,
            v.kind.value,
            short(v.version_id),
            f"v{v.seq}",
            str(v.n_items),
            f"{v.created_at:%Y-%m-%d %H:%M}",
        )
    out.print(table)


def _policy(project: Project) -> tuple[SplitPolicy, SignatureFn | None]:
    """The project's split policy and the signature it groups by (if it does)."""
    policy = split_policy(project)
    return policy, split_signature(policy)


def _resolve(repo: DatasetRepository, ref: str):  # -> DatasetVersion
    try:
        return repo.resolve(ref)
    except (DatasetNotFound, ValueError) as exc:
        fail(str(exc))


@app.command("show")
def show_cmd(
    ref: Annotated[
        str, typer.Argument(help="NAME, NAME@latest, NAME@v2 or NAME@<version id prefix>.")
    ],
    head: Annotated[int, typer.Option(help="How many items to show.")] = 5,
    as_json: JsonFlag = False,
) -> None:
    """One version: its metadata, split sizes, tag counts and first items."""
    with project_store() as (project, store):
        repo = DatasetRepository(store)
        version = _resolve(repo, ref)
        policy, signature = _policy(project)
        splits = {"train": 0, "dev": 0, "test": 0}
        tags: dict[str, int] = {}
        first = []
        for example in repo.iter_examples(version.version_id):
            splits[assign_split(example, policy, signature)] += 1
            for tag in example.tags:
                tags[tag] = tags.get(tag, 0) + 1
            if len(first) < head:
                first.append(example)
        history = repo.list_versions(version.name)
    if as_json:
        emit_json(
            {
                "version": version.model_dump(mode="json"),
                "ref": version.ref,
                "splits": splits,
                "tags": dict(sorted(tags.items())),
                "versions": [dict(v.model_dump(mode="json"), ref=v.ref) for v in history],
                "head": [e.model_dump(mode="json") for e in first],
            }
        )
        return
    out.print(
        Text.assemble(
            (version.ref, "bold"), f"  ({version.kind.value}, v{version.seq} of {len(history)})"
        )
    )
    out.print(f"version id  {version.version_id}", highlight=False)
    out.print(
        f"items       {version.n_items}   splits: "
        + "  ".join(f"{k} {v}" for k, v in splits.items())
    )
    out.print(
        f"source      {version.source or '-'}   imported {version.created_at:%Y-%m-%d %H:%M:%S}"
    )
    if tags:
        out.print(
            "tags        " + ", ".join(f"{t} ({n})" for t, n in sorted(tags.items())),
            highlight=False,
        )
    for example in first:
        text = (
            json.dumps(example.input, ensure_ascii=False)
            if not isinstance(example.input, str)
            else example.input
        )
        out.print(Text.assemble("  ", (visible(example.id), "dim"), f"  {visible(text[:100])}"))


@app.command("export")
def export_cmd(
    ref: Annotated[str, typer.Argument(help="Dataset reference.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    split: Annotated[str | None, typer.Option(help="Only this split: train, dev or test.")] = None,
) -> None:
    """Write a version out as JSONL (lossless: re-imports to the same version id) or CSV."""
    if fmt not in ("jsonl", "csv"):
        fail(f"--format must be jsonl or csv, not {fmt!r}")
    if split not in (None, "train", "dev", "test"):
        fail(f"--split must be train, dev or test, not {split!r}")
    with project_store() as (project, store):
        repo = DatasetRepository(store)
        version = _resolve(repo, ref)
        policy, signature = _policy(project)
        examples = (
            e
            for e in repo.iter_examples(version.version_id)
            if split is None or assign_split(e, policy, signature) == split
        )
        writer = write_jsonl if fmt == "jsonl" else write_csv
        if output is None:
            n = writer(examples, sys.stdout)
        else:
            tmp = output.with_name(output.name + ".partial")
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                n = writer(examples, f)
            tmp.replace(output)
    info(f"exported {n} items of {version.ref}" + (f" (split {split})" if split else ""))


@app.command("diff")
def diff_cmd(
    a: Annotated[str, typer.Argument(help="Old version reference.")],
    b: Annotated[str, typer.Argument(help="New version reference.")],
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when the versions differ.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Items added, removed and changed between two versions (by example id)."""
    with project_store() as (_, store):
        repo = DatasetRepository(store)
        va, vb = _resolve(repo, a), _resolve(repo, b)
        diff = diff_items(
            va.ref, repo.item_hashes(va.version_id), vb.ref, repo.item_hashes(vb.version_id)
        )
    if as_json:
        emit_json(diff)
    else:
        out.print(
            f"{diff.a} → {diff.b}: +{len(diff.added)} added, -{len(diff.removed)} removed, "
            f"~{len(diff.changed)} changed, {diff.unchanged} unchanged",
            highlight=False,
        )
        for sign, ids in (("+", diff.added), ("-", diff.removed), ("~", diff.changed)):
            for example_id in ids[:20]:
                out.print(f"  {sign} {example_id}", highlight=False)
            if len(ids) > 20:
                out.print(f"  {sign} … {len(ids) - 20} more", highlight=False)
    if exit_code and not diff.identical:
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command("split")
def split_cmd(
    ref: Annotated[str, typer.Argument(help="Dataset reference.")],
    seed: Annotated[int | None, typer.Option(help="Override the project's split seed.")] = None,
    stratify_by: Annotated[
        str | None,
        typer.Option("--stratify-by", help="tags, label, a metadata key, or '' for none."),
    ] = None,
    group_by: Annotated[
        str | None,
        typer.Option(
            "--group-by",
            help="Keep groups in one split: a metadata key, tags:PREFIX, signature (the "
            "application's structural signature), or '' for none.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Split sizes per stratum under the project's split policy, and the groups explicit splits
    put in more than one split."""
    report = api_split_dataset(
        ref, project=current_project(), seed=seed, stratify_by=stratify_by, group_by=group_by
    )
    if as_json:
        emit_json(report)
        return
    grouping = f", grouped by {report.group_by}" if report.group_by else ""
    table = Table(
        "stratum",
        "train",
        "dev",
        "test",
        title=f"{report.dataset} (seed {report.seed}, by {report.stratify_by or 'nothing'}"
        f"{grouping})",
    )
    for stratum, counts in report.strata.items():
        table.add_row(stratum or "(none)", *(str(counts[s]) for s in ("train", "dev", "test")))
    out.print(table)
    if report.group_by:
        out.print(
            f"groups {report.groups} ({report.grouped_items} items); "
            f"{report.ungrouped_items} items without a group key split by id",
            highlight=False,
        )
    if report.split_groups:
        warn(
            f"{len(report.split_groups)} group(s) in more than one split (explicit splits put "
            "them there):"
        )
        for group in report.split_groups[:20]:
            where = ", ".join(f"{s} {n}" for s, n in group.splits.items())
            out.print(f"  {visible(group.key)}: {where}", highlight=False)
        if len(report.split_groups) > 20:
            out.print(f"  … {len(report.split_groups) - 20} more", highlight=False)


@app.command("contamination")
def contamination_cmd(
    a: Annotated[
        str,
        typer.Argument(
            help="The set to check: a dataset (NAME, NAME@v2, NAME:test), a file, or system:NAME."
        ),
    ],
    b: Annotated[
        str,
        typer.Argument(help="The set it may overlap, written the same way."),
    ],
    ngram: Annotated[int, typer.Option("--ngram", help="Words per n-gram.")] = 3,
    threshold: Annotated[
        float | None,
        typer.Option("--threshold", help="Both similarity thresholds at once (0 < T <= 1)."),
    ] = None,
    containment: Annotated[
        float, typer.Option("--ngram-threshold", help="N-gram containment threshold.")
    ] = 0.5,
    jaccard: Annotated[
        float, typer.Option("--jaccard-threshold", help="Word Jaccard (MinHash) threshold.")
    ] = 0.6,
    no_signature: Annotated[
        bool, typer.Option("--no-signature", help="Leave the structural signature out.")
    ] = False,
    max_rate: Annotated[
        float | None,
        typer.Option("--max-rate", help="Exit 1 when more than this share of A is contaminated."),
    ] = None,
    examples: Annotated[int, typer.Option("--examples", help="Items of A to show.")] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Near-duplicates of A's items in B: n-gram containment, MinHash Jaccard and structural
    signature. Exit 0 ok, 1 over --max-rate, 2 a source that cannot be read."""
    report = api_contamination(
        a,
        b,
        project=_project_if_any(),
        ngram=ngram,
        containment=containment if threshold is None else threshold,
        jaccard=jaccard if threshold is None else threshold,
        use_signature=not no_signature,
        max_rate=max_rate,
        examples=examples,
    )
    if as_json:
        emit_json(report)
    else:
        for line in contamination_lines(report):
            out.print(line, highlight=False)
    if report.passed is False:
        raise CheckFailed(
            f"contamination {report.contaminated}/{report.n_a} = {report.rate:.3f} "
            f"exceeds --max-rate {report.max_rate}"
        )


def _project_if_any() -> Project | None:
    """The project when the command runs in one (two files or ``APP-local`` need none)."""
    try:
        return find_project()
    except ProjectNotFound:
        return None


@app.command("schema")
def schema_cmd(
    kind: Annotated[str | None, typer.Argument(help="Dataset kind.")] = None,
    list_kinds: Annotated[
        bool, typer.Option("--list", help="The kinds there are, and who defines each.")
    ] = False,
) -> None:
    """The JSON Schema that rows of a kind are validated against."""
    if list_kinds or kind is None:
        emit_json({name: kind_owner(name) for name in dataset_kinds()})
        return
    emit_json(row_schema(kind).model_json_schema())
