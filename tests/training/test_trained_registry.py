"""Serving an adapter (ModelSpec.lora_path) and the trained-model registry: a tuned model is its own
system, with the adapter's digest in its identity, resolvable by name and promoted only by a gate."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from evalwheel.api.trained_models import register_trained, set_trained_status, trained_models
from evalwheel.core.trained import TrainMetrics
from evalwheel.errors import ConflictError, InputError
from evalwheel.llm.embedded import EmbeddedProvider, load_model
from evalwheel.llm.errors import ModelConfigError
from evalwheel.llm.project_models import project_models
from evalwheel.llm.registry import ModelSpec
from evalwheel.project import Project
from evalwheel.runner.gates import GateVerdict
from evalwheel.runner.systems import resolve_system
from tests.helpers import cli_json
from tests.training.runs import _run
from tests.training.test_gguf_lora import _adapter


def _embedded(lora: Path | None = None) -> ModelSpec:
    return ModelSpec(name="m", provider="embedded", lora_path=str(lora) if lora else None)


def test_the_adapter_digest_is_part_of_the_model_identity(tmp_path: Path) -> None:
    one, two = tmp_path / "one.gguf", tmp_path / "two.gguf"
    one.write_bytes(b"adapter one")
    two.write_bytes(b"adapter two")
    base, tuned, other = _embedded().identity, _embedded(one).identity, _embedded(two).identity
    assert "adapter" not in base
    assert tuned["adapter"] == hashlib.sha256(b"adapter one").hexdigest()
    assert len({str(base), str(tuned), str(other)}) == 3
    assert tuned["model"] == base["model"]  # the same base file under the adapter


def test_a_missing_adapter_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ModelConfigError, match=r"nope\.gguf"):
        _embedded(missing).identity  # noqa: B018
    with pytest.raises(ModelConfigError, match=r"nope\.gguf"):
        EmbeddedProvider(lora_path=str(missing))
    with pytest.raises(ValueError, match="embedded"):
        ModelSpec(name="x", base_url="http://h/v1", model="m", lora_path=str(missing))


@pytest.mark.model
def test_a_file_llama_cpp_cannot_apply_is_a_config_error_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF but not really")
    with pytest.raises(ModelConfigError, match=r"broken\.gguf"):
        load_model(lora_path=str(broken), n_ctx=256)


def _register(project: Project, tmp_path: Path, name: str = "flow-tuned"):
    return register_trained(
        name,
        base_system="flow-local",
        adapter_dir=_adapter(tmp_path / name),
        training_data="flow-synth@1",
        train_config={"rank": 2},
        metrics=TrainMetrics(final_loss=0.5, wall_s=12.0, peak_rss_mb=2400.0, steps=3),
        project=project,
    )


def test_a_registered_model_is_a_system_with_the_adapter_in_its_version(
    project: Project, tmp_path: Path
) -> None:
    model = _register(project, tmp_path)
    assert model.status == "candidate" and Path(model.gguf_path).is_file()
    assert model.adapter_sha256 == hashlib.sha256(Path(model.gguf_path).read_bytes()).hexdigest()
    assert [m.name for m in trained_models(project)] == ["flow-tuned"]

    spec = project_models(project)["flow-tuned"]
    assert spec.provider == "embedded" and spec.lora_path == model.gguf_path
    tuned = resolve_system(project, "flow-tuned").system
    base = resolve_system(project, "flow-local").system
    assert tuned.app == base.app == "flow" and tuned.params == base.params
    assert tuned.adapter == model.adapter_sha256 and base.adapter is None
    assert tuned.model_identity["adapter"] == model.adapter_sha256
    assert tuned.version != base.version

    listed = cli_json("trained", "list", "--json")
    assert [(m["name"], m["status"], m["training_data"]) for m in listed] == [
        ("flow-tuned", "candidate", "flow-synth@1")
    ]


def test_names_are_not_reused(project: Project, tmp_path: Path) -> None:
    _register(project, tmp_path)
    with pytest.raises(ConflictError):
        _register(project, tmp_path)
    with pytest.raises(ConflictError):
        _register(project, tmp_path, name="flow-local")


def test_a_changed_adapter_file_is_refused_not_served_under_the_registered_name(
    tmp_path: Path,
) -> None:
    adapter = tmp_path / "a.gguf"
    adapter.write_bytes(b"as registered")
    registered = hashlib.sha256(b"as registered").hexdigest()
    spec = ModelSpec(name="m", provider="embedded", lora_path=str(adapter), lora_sha256=registered)
    assert spec.identity["adapter"] == registered
    adapter.write_bytes(b"overwritten later")
    with pytest.raises(ModelConfigError, match="changed after registration"):
        spec.identity  # noqa: B018


def test_only_a_passed_gate_promotes(project: Project, tmp_path: Path) -> None:
    _register(project, tmp_path)
    failed = GateVerdict(tier="merge", passed=False, run_id="r1", reasons=["worse"], checks=[])
    with pytest.raises(InputError):
        set_trained_status("flow-tuned", "promoted", project=project)
    with pytest.raises(InputError):
        set_trained_status("flow-tuned", "promoted", verdict=failed, project=project)
    made_up = failed.model_copy(update={"passed": True, "reasons": []})
    with pytest.raises(InputError, match="r1"):  # no gate run behind it
        set_trained_status("flow-tuned", "promoted", verdict=made_up, project=project)
    other = _run(project, "flow-local", "d", "test", done=True)
    with pytest.raises(InputError, match="not a finished gate run"):
        set_trained_status(
            "flow-tuned",
            "promoted",
            verdict=made_up.model_copy(update={"run_id": other}),
            project=project,
        )
    gate_run = _run(project, "flow-tuned", "d", "test", done=True)
    passed = made_up.model_copy(update={"run_id": gate_run})
    promoted = set_trained_status("flow-tuned", "promoted", verdict=passed, project=project)
    assert promoted.status == "promoted" and promoted.verdict["run_id"] == gate_run
    assert [m.name for m in trained_models(project, status="promoted")] == ["flow-tuned"]
    assert trained_models(project, status="candidate") == []
