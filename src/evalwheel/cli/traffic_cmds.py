"""``evalwheel traffic …``: bring production traffic in as a ``traffic`` dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evalwheel.api.traffic import import_traffic
from evalwheel.cli.context import current_project
from evalwheel.cli.output import emit_json, err, fail, out
from evalwheel.traffic.importer import TrafficImportFailed

app = typer.Typer(
    help="Bring production traffic in (logs, chat logs, OTLP spans).", no_args_is_help=True
)


def parse_map(pairs: list[str] | None) -> dict[str, str]:
    mapping = {}
    for pair in pairs or []:
        target, sep, column = pair.partition("=")
        if not sep or not target.strip() or not column.strip():
            fail(f"--map takes FIELD=COLUMN (e.g. input=request.prompt), not {pair!r}")
        mapping[target.strip()] = column.strip()
    return mapping


@app.command("import")
def import_cmd(
    file: Annotated[
        Path, typer.Argument(help="An OTLP JSON trace export, a chat log or a JSONL log.")
    ],
    name: Annotated[str, typer.Option("--name", "-n", help="Dataset name.")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="otlp|chat|jsonl (default: detected from the content)."),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="FIELD=COLUMN for jsonl logs; FIELD is input, output, id, time or conversation; "
            "COLUMN may be a dotted path (repeatable).",
        ),
    ] = None,
    no_redact: Annotated[
        bool, typer.Option("--no-redact", help="Skip the built-in patterns (the hook still runs).")
    ] = False,
    redact_hook: Annotated[
        str | None,
        typer.Option(
            "--redact-hook", help="module:function or path/to/file.py:function (str -> str)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Import traffic as a new version of a traffic dataset, redacted; a bad record stores nothing."""
    try:
        result = import_traffic(
            file,
            name,
            format=fmt,  # type: ignore[arg-type]
            mapping=parse_map(mapping),
            redact=not no_redact,
            redact_hook=redact_hook,
            project=current_project(),
        )
    except TrafficImportFailed as exc:
        for line in exc.lines():
            err.print(line)
        if exc.truncated:
            err.print(f"(stopped after {len(exc.errors)} errors)")
        fail(f"{file}: {len(exc.errors)} problem(s); nothing was imported")
    if as_json:
        emit_json(result)
        return
    state = "imported" if result.created else "unchanged (same content as an existing version)"
    hidden = ", ".join(f"{k} {v}" for k, v in result.redactions.items()) or "none"
    out.print(
        f"{result.dataset}  v{result.seq}  {result.items} items  "
        f"{result.conversations} conversations  ({result.format})  {state}"
    )
    out.print(f"redacted: {hidden}")
