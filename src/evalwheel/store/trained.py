"""Trained models in the store: training registers them, the gate changes their status, system
resolution reads them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from evalwheel.core.trained import TrainedModel, TrainedStatus
from evalwheel.store.db import Store
from evalwheel.store.tables import TrainedModelRow


class TrainedModelRepository:
    """Every read and write of ``trained_models``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, model: TrainedModel) -> bool:
        """Store a new model; False (nothing written) when the name is taken."""
        with self.store.write() as session:
            if session.get(TrainedModelRow, model.name) is not None:
                return False
            session.add(
                TrainedModelRow(
                    name=model.name,
                    status=model.status,
                    created_at=_utc(model.created_at),
                    payload=model.model_dump(mode="json"),
                )
            )
        return True

    def get(self, name: str) -> TrainedModel | None:
        with self.store.read() as session:
            row = session.get(TrainedModelRow, name)
            return None if row is None else TrainedModel.model_validate(row.payload)

    def all(self, status: TrainedStatus | None = None) -> list[TrainedModel]:
        """Registered models, oldest first."""
        query = select(TrainedModelRow)
        if status is not None:
            query = query.where(TrainedModelRow.status == status)
        with self.store.read() as session:
            rows = session.scalars(
                query.order_by(TrainedModelRow.created_at, TrainedModelRow.name)
            ).all()
            return [TrainedModel.model_validate(row.payload) for row in rows]

    def set_status(
        self, name: str, status: TrainedStatus, verdict: dict | None, at: datetime
    ) -> TrainedModel:
        """Record a status change and the verdict behind it (``KeyError``: no such model)."""
        with self.store.write() as session:
            row = session.get(TrainedModelRow, name)
            if row is None:
                raise KeyError(name)
            model = TrainedModel.model_validate(row.payload).model_copy(
                update={"status": status, "verdict": verdict, "status_changed_at": at}
            )
            model = TrainedModel.model_validate(model.model_dump(mode="json"))
            row.status = status
            row.payload = model.model_dump(mode="json")
        return model


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
