"""Build the Flow application's datasets: benchmark, traffic, workflows and conversations.

    python scripts/build_flow_datasets.py [--out DIR] [--draft]

The parts live in ``scripts/flow_data``: today's template recipes (``templates``), the long-tail
intent library (``intents``), the work orders given to request writers and the requests they wrote
(``work_orders.jsonl``, ``written_requests.jsonl``: data, not code), and the sets built from them.
The conversations set is assembled from the stored conversation orders and the text writers wrote
for them (``conversation_lines_{1..4}.jsonl``) once those files exist.
Seeds are fixed, so the same inputs give byte-identical files. The human-labelled golden files
(golden*.jsonl, annotations/) are never written: the builder only checks that the benchmark items
they point at (``benchmark_id``) still have the same request and reference.
``--draft`` stands descriptions in for requests not yet written (for development only).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from flow_data.benchmark import check_disjoint, template_items, written_benchmark_items  # noqa: E402
from flow_data.conversations import LINE_FILES, MIN_ROWS, assemble  # noqa: E402
from flow_data.templates import CATALOG, template_benchmark  # noqa: E402
from flow_data.traffic import traffic  # noqa: E402
from flow_data.work_orders import make_orders  # noqa: E402
from flow_data.workflows import workflows  # noqa: E402
from flow_data.written import ORDERS, read_jsonl, written_items  # noqa: E402

from evalwheel_flow.validator import validate  # noqa: E402
from evalwheel_flow.workflow import Workflow  # noqa: E402

DATA = ROOT / "src" / "evalwheel_flow" / "data"
BENCHMARK_KEYS = ("id", "request", "expect", "reference", "tags", "split")


def dump(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n" for row in rows)


def check_golden(template_rows: list[dict[str, Any]]) -> None:
    """The frozen golden set was labelled on template items: they must be unchanged."""
    by_id = {row["id"]: row for row in template_rows}
    for line in (DATA / "golden.jsonl").read_text(encoding="utf-8").splitlines():
        golden = json.loads(line)
        item = by_id.get(golden["benchmark_id"])
        if item is None or (item["request"], item["reference"]) != (
            golden["input"],
            golden["reference"],
        ):
            raise SystemExit(f"{golden['id']}: its benchmark item {golden['benchmark_id']} changed")


def check_orders() -> None:
    """The stored work orders are what the intent library gives (writers wrote for these)."""
    stored = read_jsonl(ORDERS)
    made = [{k: order[k] for k in stored[0]} for order in make_orders()]
    if made != stored:
        raise SystemExit("the intent library no longer gives the stored work orders")


def build(out: Path, draft: bool = False) -> dict[str, int]:
    check_orders()
    template_rows = template_benchmark(random.Random(20261126))
    check_golden(template_rows)
    written = written_items(allow_missing=draft)
    bench = template_items(template_rows) + written_benchmark_items(written)
    check_disjoint(bench)
    for row in bench:
        if row["reference"]:
            report = validate(Workflow.from_data(row["reference"]), CATALOG)
            if not report.ok:
                raise SystemExit(f"{row['id']}: reference does not validate: {report.errors()}")
    test_requests = {r["request"] for r in bench if r["split"] == "test"}
    traffic_rows = traffic(written, test_requests)
    workflow_rows = workflows(random.Random(11))
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmark.jsonl").write_text(
        dump([{k: row[k] for k in BENCHMARK_KEYS} for row in bench]), encoding="utf-8"
    )
    (out / "traffic.jsonl").write_text(dump(traffic_rows), encoding="utf-8")
    (out / "workflows.jsonl").write_text(dump(workflow_rows), encoding="utf-8")
    counts = {
        "benchmark": len(bench),
        "traffic": len(traffic_rows),
        "workflows": len(workflow_rows),
    }
    if all(path.exists() for path in LINE_FILES):
        counts["conversations"] = build_conversations(out)
    return counts


def build_conversations(out: Path) -> int:
    """Write conversations.jsonl from the writers' text; rows that break their plan are left out
    (and listed), and the set must keep at least MIN_ROWS rows."""
    assembly = assemble()
    for conv_id, problems in sorted(assembly.dropped.items()):
        print(f"{conv_id}: left out: {'; '.join(problems)}", file=sys.stderr)
    if assembly.missing:
        print(f"conversations never written: {', '.join(assembly.missing)}", file=sys.stderr)
    if len(assembly.rows) < MIN_ROWS:
        raise SystemExit(f"only {len(assembly.rows)} conversations pass their checks")
    (out / "conversations.jsonl").write_text(dump(assembly.rows), encoding="utf-8")
    return len(assembly.rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA, help="folder to write the sets to")
    parser.add_argument(
        "--draft", action="store_true", help="descriptions stand in for missing requests"
    )
    args = parser.parse_args()
    for name, count in build(args.out, args.draft).items():
        print(f"{name}: {count} rows")


if __name__ == "__main__":
    main()
