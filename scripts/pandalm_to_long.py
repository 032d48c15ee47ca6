"""Convert the PandaLM human-annotated test set into evalwheel's long-format label file.

Why: the PandaLM test set (WeOpenML/PandaLM, ``data/``) is real third-party data with three
independent human labels per pairwise item and recorded verdicts of two LLM judges, plus a
published human-human Cohen's kappa (0.85 / 0.88 / 0.86). That makes it a development check for
``evalwheel agreement``: do we reproduce the published figures, and what do we say of the judges?
It is not a project test and the data are not part of the project.

    python scripts/pandalm_to_long.py DATA_DIR --out /tmp/pandalm_humans.jsonl
    python scripts/pandalm_to_long.py DATA_DIR --out /tmp/pandalm_all.jsonl --with-judges

Output: one JSONL row ``{"item", "annotator", "label"}`` per item × rater. ``item`` is the data's
``idx``. Raters: ``human_1``..``human_3`` (fields ``annotator1``..``annotator3``) and, with
``--with-judges``, ``gpt-3.5-turbo`` (``gpt_result``) and ``pandalm-7b`` (``pandalm_result``).

Label encoding is the data's own: ``0`` = tie, ``1`` = response 1 better, ``2`` = response 2
better. gpt-3.5-turbo records its verdict as the strings "1", "2" or "Tie" (mapped to 0); its
"garbage" verdicts (output that could not be parsed) are invalid: by default they are left out
(a missing rating; counted and printed), or with ``--invalid-as LABEL`` written as that label so
they count as disagreements. Judge verdicts are joined to the test set by ``idx``; the script
checks that ids are unique and present in every file, reports whether the files share the same
order, and prints counts of every mismatch rather than dropping anything silently.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HUMANS = {"human_1": "annotator1", "human_2": "annotator2", "human_3": "annotator3"}
# rater name -> (file name, verdict field)
JUDGES = {
    "gpt-3.5-turbo": ("gpt-3.5-turbo-testset-v1.json", "gpt_result"),
    "pandalm-7b": ("pandalm-7b-testset-v1.json", "pandalm_result"),
}
TESTSET = "testset-v1.json"
VALID = {0, 1, 2}
TEXT_VERDICTS = {"0": 0, "1": 1, "2": 2, "tie": 0}


def normalise(value: Any) -> int | None:
    """The data's 0/1/2 code for a recorded verdict, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value in VALID else None
    if isinstance(value, str):
        return TEXT_VERDICTS.get(value.strip().lower())
    return None


def load(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text())
    if not isinstance(data, list):
        raise SystemExit(f"{path}: expected a JSON list of items")
    return data


def index_by_id(rows: list[dict[str, Any]], name: str) -> dict[Any, dict[str, Any]]:
    ids = Counter(r.get("idx") for r in rows)
    duplicates = {k: v for k, v in ids.items() if v > 1}
    missing = ids.get(None, 0)
    if duplicates or missing:
        raise SystemExit(
            f"{name}: {len(duplicates)} duplicated idx value(s), {missing} row(s) without idx"
        )
    return {r["idx"]: r for r in rows}


def build_rows(
    data_dir: Path, with_judges: bool, invalid_as: str | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Long-format rows and a report (one line per count)."""
    testset = load(data_dir / TESTSET)
    items = index_by_id(testset, TESTSET)
    report = [f"{TESTSET}: {len(testset)} items"]
    rows: list[dict[str, Any]] = []
    for item in testset:
        for rater, field in HUMANS.items():
            code = normalise(item.get(field))
            if code is None:
                raise SystemExit(f"{TESTSET}: idx {item['idx']}: {field} = {item.get(field)!r}")
            rows.append({"item": str(item["idx"]), "annotator": rater, "label": str(code)})
    for rater, field in HUMANS.items():
        counts = Counter(str(r["label"]) for r in rows if r["annotator"] == rater)
        report.append(f"  {rater} ({field}): {dict(sorted(counts.items()))}")
    if not with_judges:
        return rows, report

    for rater, (file_name, field) in JUDGES.items():
        verdicts = load(data_dir / file_name)
        by_id = index_by_id(verdicts, file_name)
        same_order = [r["idx"] for r in verdicts] == [r["idx"] for r in testset]
        not_in_testset = sorted(set(by_id) - set(items), key=str)
        no_verdict = sorted(set(items) - set(by_id), key=str)
        raw = Counter(repr(r.get(field)) for r in verdicts)
        invalid: Counter[str] = Counter()
        written: Counter[str] = Counter()
        for item in testset:
            record = by_id.get(item["idx"])
            if record is None:
                continue
            code = normalise(record.get(field))
            if code is None:
                invalid[repr(record.get(field))] += 1
                if invalid_as is None:
                    continue
                label = invalid_as
            else:
                label = str(code)
            written[label] += 1
            rows.append({"item": str(item["idx"]), "annotator": rater, "label": label})
        report += [
            f"{file_name}: {len(verdicts)} verdicts, same idx order as {TESTSET}: {same_order}",
            f"  raw {field} values: {dict(raw)}",
            f"  idx not in {TESTSET}: {len(not_in_testset)} {not_in_testset[:10]}",
            f"  {TESTSET} items without a verdict: {len(no_verdict)} {no_verdict[:10]}",
            f"  invalid verdicts: {sum(invalid.values())} {dict(invalid)} -> "
            + ("left out (missing rating)" if invalid_as is None else f"label {invalid_as!r}"),
            f"  rows written for {rater}: {sum(written.values())} {dict(sorted(written.items()))}",
        ]
    return rows, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "data_dir",
        nargs="?",
        type=Path,
        default=Path("/work/shared/data/pandalm"),
        help="folder with testset-v1.json and the judge files",
    )
    parser.add_argument("--out", type=Path, required=True, help="JSONL file to write")
    parser.add_argument(
        "--with-judges",
        action="store_true",
        help="add gpt-3.5-turbo and pandalm-7b as raters",
    )
    parser.add_argument(
        "--invalid-as",
        metavar="LABEL",
        default=None,
        help="write unreadable judge verdicts as this label instead of leaving them out",
    )
    args = parser.parse_args(argv)
    rows, report = build_rows(args.data_dir, args.with_judges, args.invalid_as)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
    for line in report:
        print(line)
    raters = Counter(r["annotator"] for r in rows)
    print(f"wrote {len(rows)} rows to {args.out}: {dict(raters)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
