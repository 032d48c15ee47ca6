"""Supply-chain hygiene: every dependency is bounded on both sides, and constraints.txt (the lock
that CI and the README's commands install with) pins each one inside its range."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        found += [Requirement(r) for r in extra]
    # evalwheel[train] inside dev is a reference to another extra, not a package to pin
    return [r for r in found if canonical(r.name) != "evalwheel"]


def lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonical(name)] = version
    return pins


@pytest.mark.parametrize(
    "requirement",
    [*requirements(), *(Requirement(r) for r in PYPROJECT["build-system"]["requires"])],
    ids=str,
)
def test_every_dependency_has_a_lower_and_an_upper_bound(requirement):
    operators = {spec.operator for spec in requirement.specifier}
    assert operators & {"==", "~=", "==="} or (
        operators & {">=", ">"} and operators & {"<", "<="}
    ), f"{requirement} needs a lower and an upper bound"


@pytest.mark.parametrize("requirement", requirements(), ids=str)
def test_the_lock_pins_every_dependency_inside_its_range(requirement):
    pins = lock()
    name = canonical(requirement.name)
    assert name in pins, (
        f"{name} is missing from constraints.txt: run scripts/update_constraints.py"
    )
    assert requirement.specifier.contains(pins[name], prereleases=True), (
        f"constraints.txt pins {name}=={pins[name]}, outside {requirement.specifier}"
    )


def test_dev_pulls_the_train_extra_so_ci_runs_the_training_test():
    assert "evalwheel[train]" in PYPROJECT["project"]["optional-dependencies"]["dev"]


def test_torch_stays_pinned_to_the_cpu_release_this_project_uses():
    assert "torch==2.13.0" in PYPROJECT["project"]["optional-dependencies"]["train"]
    assert lock()["torch"] == "2.13.0"


def test_the_lock_is_exact_and_has_no_duplicates():
    names = []
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.!]+", line), line
            names.append(canonical(line.split("==")[0]))
    assert len(names) == len(set(names))
