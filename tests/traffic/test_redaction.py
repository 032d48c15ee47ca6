"""Built-in redaction per kind, Luhn-checked cards, the user's hook, and --no-redact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import evalwheel as ew
from evalwheel.project import Project
from evalwheel.traffic.pii import Redactor, redact_traffic_value
from tests.helpers import cli, write_jsonl
from tests.traffic.test_otlp_import import dataset_names, stored

CASES = [
    ("email", "write to jo.doe+shop@example.co.uk today", "write to [EMAIL] today"),
    ("phone", "call +1 415 555 2671 or (555) 123-4567", "call [PHONE] or [PHONE]"),
    ("card", "card 4111 1111 1111 1111 on file", "card [CARD] on file"),
    ("api_key", "my key is sk-proj-abc123def456ghi789jkl012", "my key is [API_KEY]"),
]


@pytest.mark.parametrize(("kind", "text", "expected"), CASES)
def test_each_kind_is_replaced_and_counted(kind: str, text: str, expected: str):
    redactor = Redactor()
    assert redactor.text(text) == expected
    assert dict(redactor.counts) == {kind: expected.count("[")}


def test_luhn_invalid_numbers_and_ordinary_numbers_survive():
    text = "order 4111111111111112, ref 4111 1111 1111 1112, date 2025-01-15, #1001, 12345678"
    redactor = Redactor()
    assert redactor.text(text) == text
    assert not redactor.counts


def test_redact_traffic_value_walks_json():
    value = {"messages": [{"role": "user", "content": "mail a@b.io"}], "n": 3, "k": None}
    assert redact_traffic_value(value) == {
        "messages": [{"role": "user", "content": "mail [EMAIL]"}],
        "n": 3,
        "k": None,
    }


def test_import_redacts_before_storing(project: Project, tmp_path: Path):
    rows = [
        {"id": f"r{i}", "input": text, "output": f"re: {text}"}
        for i, (_, text, _) in enumerate(CASES)
    ]
    rows.append({"id": "ids", "input": "fine", "conversation_id": "jo@example.com"})
    path = write_jsonl(tmp_path / "log.jsonl", rows)
    result = ew.import_traffic(path, "logs", project=project)
    assert result.redactions == {"api_key": 2, "card": 2, "email": 3, "phone": 4}
    items = stored(project, "logs")
    dumped = json.dumps(items)
    for secret in ("jo.doe", "415 555", "4111 1111", "sk-proj", "jo@example.com"):
        assert secret not in dumped
    conversation = next(i for i in items if i["id"] == "ids")["metadata"]["conversation_id"]
    assert conversation.startswith("h") and len(conversation) == 13


def test_hook_from_a_file_runs_after_the_builtins(project: Project, tmp_path: Path):
    hook = tmp_path / "hooks.py"
    hook.write_text(
        "import re\n\ndef hide_customers(text):\n    return re.sub(r'CUST-\\d+', '[CUSTOMER]', text)\n",
        encoding="utf-8",
    )
    path = write_jsonl(tmp_path / "log.jsonl", [{"input": "CUST-991 wrote from a@b.io"}])
    result = ew.import_traffic(path, "logs", redact_hook=f"{hook}:hide_customers", project=project)
    assert stored(project, "logs")[0]["input"] == "[CUSTOMER] wrote from [EMAIL]"
    assert result.redactions == {"email": 1, "hook": 1}
    no_builtins = ew.import_traffic(
        path, "raw", redact=False, redact_hook=f"{hook}:hide_customers", project=project
    )
    assert stored(project, "raw")[0]["input"] == "[CUSTOMER] wrote from a@b.io"
    assert no_builtins.redactions == {"hook": 1}


def test_bad_hooks_are_input_errors(project: Project, tmp_path: Path):
    path = write_jsonl(tmp_path / "log.jsonl", [{"input": "x"}])
    broken = tmp_path / "broken.py"
    broken.write_text("def hook(text):\n    return 1\n", encoding="utf-8")
    for spec in ("nohook", f"{tmp_path / 'missing.py'}:f", f"{broken}:absent", f"{broken}:hook"):
        with pytest.raises(ew.InputError) as caught:
            ew.import_traffic(path, "logs", redact_hook=spec, project=project)
        assert caught.value.field == "redact_hook"
    assert dataset_names(project) == []


def test_cli_no_redact_and_hook(project: Project, tmp_path: Path):
    hook = tmp_path / "hooks.py"
    hook.write_text("def verb(text):\n    return text.replace('mail', 'send')\n", encoding="utf-8")
    path = write_jsonl(tmp_path / "log.jsonl", [{"input": "mail a@b.io"}])
    result = cli(
        "traffic", "import", path, "-n", "raw", "--no-redact", "--redact-hook", f"{hook}:verb"
    )
    assert result.exit_code == 0, result.stderr
    assert stored(project, "raw")[0]["input"] == "send a@b.io"
    assert "hook 1" in result.stdout
