"""What changed between two dataset versions, by example id."""

from __future__ import annotations

from pydantic import BaseModel


class DatasetDiff(BaseModel):
    a: str
    b: str
    added: list[str]
    removed: list[str]
    changed: list[str]
    unchanged: int

    @property
    def identical(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_items(a_ref: str, a: dict[str, str], b_ref: str, b: dict[str, str]) -> DatasetDiff:
    """``a`` and ``b`` map example id → content hash."""
    return DatasetDiff(
        a=a_ref,
        b=b_ref,
        added=sorted(b.keys() - a.keys()),
        removed=sorted(a.keys() - b.keys()),
        changed=sorted(k for k in a.keys() & b.keys() if a[k] != b[k]),
        unchanged=sum(1 for k in a.keys() & b.keys() if a[k] == b[k]),
    )
