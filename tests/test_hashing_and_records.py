import math

import pytest

from evalwheel.core import DatasetRef, Example, Judge, System, canonical_json, content_hash
from evalwheel.core.dataset import DatasetKind, version_id_for


def test_canonical_json_ignores_key_order_and_whitespace():
    assert canonical_json({"b": 1, "a": [1, 2]}) == '{"a":[1,2],"b":1}'
    assert content_hash({"b": 1, "a": 2}) == content_hash({"a": 2, "b": 1})


def test_canonical_json_rejects_nan_rather_than_hashing_it_as_null():
    with pytest.raises(ValueError):
        canonical_json({"x": math.nan})


def test_unicode_is_hashed_as_utf8_not_escapes():
    assert canonical_json("café") == '"café"'
    assert content_hash("café") != content_hash("cafe")


def test_version_id_depends_on_content_and_kind_not_order():
    a = version_id_for(DatasetKind.BENCHMARK, ["h1", "h2"])
    assert a == version_id_for(DatasetKind.BENCHMARK, ["h2", "h1"])
    assert a != version_id_for(DatasetKind.GOLDEN, ["h1", "h2"])
    assert a != version_id_for(DatasetKind.BENCHMARK, ["h1", "h3"])


def test_example_hash_changes_with_any_field():
    base = Example(id="x", input="tag VIP", tags=("a",))
    assert base.hash == Example(id="x", input="tag VIP", tags=("a",)).hash
    assert base.hash != Example(id="x", input="tag VIP!", tags=("a",)).hash
    assert base.hash != Example(id="x", input="tag VIP", tags=("b",)).hash
    assert base.hash != Example(id="y", input="tag VIP", tags=("a",)).hash


def test_system_version_ignores_name_but_not_behaviour():
    s = System(name="cur", app="flow", model="local", prompt="p1")
    assert s.version == System(name="other", app="flow", model="local", prompt="p1").version
    assert s.version != System(name="cur", app="flow", model="local", prompt="p2").version


def test_judge_version_covers_rubric_and_params():
    j = Judge(name="j", model="local", rubric="r", prompt_template="t")
    assert j.version != Judge(name="j", model="local", rubric="r2", prompt_template="t").version
    assert (
        j.version
        != Judge(
            name="j", model="local", rubric="r", prompt_template="t", params={"temperature": 0.5}
        ).version
    )


@pytest.mark.parametrize(
    ("text", "name", "version"),
    [
        ("bench", "bench", None),
        ("bench@v2", "bench", "v2"),
        ("b.x-1@ab12", "b.x-1", "ab12"),
        ("b@latest", "b", "latest"),
    ],
)
def test_dataset_ref_parse(text, name, version):
    ref = DatasetRef.parse(text)
    assert (ref.name, ref.version) == (name, version)
    assert str(ref) == text


@pytest.mark.parametrize("bad", ["", "@v1", "bad name", "x@", "-lead"])
def test_dataset_ref_rejects_bad_names(bad):
    with pytest.raises(ValueError):
        DatasetRef.parse(bad)
