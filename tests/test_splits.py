from hypothesis import given, settings
from hypothesis import strategies as st

from evalwheel.core.example import Example
from evalwheel.datasets.splits import SplitPolicy, assign_split, split_report

ids = st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=60, unique=True)


@settings(max_examples=50, deadline=None)
@given(ids, ids, st.integers(0, 10))
def test_an_items_split_never_moves_when_others_are_added(first, more, seed):
    policy = SplitPolicy(seed=seed)
    before = {i: assign_split(Example(id=i, input="x"), policy) for i in first}
    after = {i: assign_split(Example(id=i, input="x"), policy) for i in [*first, *more]}
    assert all(after[i] == before[i] for i in first)


def test_proportions_hold_within_every_stratum():
    policy = SplitPolicy(seed=7, train=0.6, dev=0.2, test=0.2, stratify_by="tags")
    examples = [
        Example(id=f"{t}-{i}", input="x", tags=(t,)) for t in ("a", "b") for i in range(3000)
    ]
    report = split_report(examples, policy)
    for stratum in ("a", "b"):
        counts = report[stratum]
        assert abs(counts["train"] / 3000 - 0.6) < 0.04
        assert abs(counts["dev"] / 3000 - 0.2) < 0.04
        assert abs(counts["test"] / 3000 - 0.2) < 0.04
    assert sum(report["*"].values()) == 6000


def test_seed_changes_the_assignment_and_explicit_split_wins():
    examples = [Example(id=str(i), input="x") for i in range(200)]
    a = [assign_split(e, SplitPolicy(seed=1)) for e in examples]
    b = [assign_split(e, SplitPolicy(seed=2)) for e in examples]
    assert a != b
    pinned = Example(id="p", input="x", split="test")
    assert all(assign_split(pinned, SplitPolicy(seed=s)) == "test" for s in range(20))


def test_stratum_by_label_and_metadata():
    policy = SplitPolicy(stratify_by="label")
    report = split_report(
        [Example(id=str(i), input="x", label="good" if i % 2 else "bad") for i in range(10)], policy
    )
    assert set(report) == {"*", "good", "bad"}
    policy = SplitPolicy(stratify_by="merchant")
    report = split_report(
        [Example(id=str(i), input="x", metadata={"merchant": f"m{i % 3}"}) for i in range(9)],
        policy,
    )
    assert set(report) == {"*", "m0", "m1", "m2"}
