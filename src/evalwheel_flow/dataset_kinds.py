"""The dataset kind Flow adds to the platform's: ``workflows``, production automations.

The platform does not know this kind; ``FlowApp.dataset_kinds()`` registers it (see
``evalwheel.datasets.kinds``). Synthetic data starts from these rows: a real workflow and the
merchant who owns it (sampling needs the owner: at least one workflow per shape, from merchants
with two or more).
"""

from __future__ import annotations

from typing import Any, ClassVar

from evalwheel.datasets.schemas import NonEmptyText, RowBase


class WorkflowsRow(RowBase):
    """A production artifact (a Flow workflow, as the reference) and the merchant who owns it."""

    metadata_fields: ClassVar[tuple[str, ...]] = ("merchant",)

    reference: dict[str, Any]
    merchant: NonEmptyText


DATASET_KINDS: dict[str, type[RowBase]] = {"workflows": WorkflowsRow}
