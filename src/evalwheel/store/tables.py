"""The relational schema. Every change here goes with an alembic migration in ``migrations/``.

Examples are stored once per content hash and shared by every dataset version that contains them;
a version is a content-hashed list of example hashes. Large payloads (full traces, reports, model
files) go to the blob store and are referenced here by digest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JsonType = JSON().with_variant(JSONB(), "postgresql")
Digest = String(64)


class Base(DeclarativeBase):
    pass


class DatasetRow(Base):
    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DatasetContentRow(Base):
    """A content-hashed set of examples; several named versions may share one."""

    __tablename__ = "dataset_contents"

    version_id: Mapped[str] = mapped_column(Digest, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    n_items: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DatasetVersionRow(Base):
    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "seq", name="uq_dataset_versions_seq"),)

    dataset_id: Mapped[int] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    version_id: Mapped[str] = mapped_column(
        ForeignKey("dataset_contents.version_id"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ExampleRow(Base):
    __tablename__ = "examples"

    hash: Mapped[str] = mapped_column(Digest, primary_key=True)
    example_id: Mapped[str] = mapped_column(String(256))
    # Canonical JSON text: the exact bytes the hash was taken over, so no re-serialisation on read
    # or write can change an example's identity.
    payload: Mapped[str] = mapped_column(Text)


class DatasetItemRow(Base):
    __tablename__ = "dataset_items"
    __table_args__ = (
        UniqueConstraint("version_id", "example_id", name="uq_dataset_items_example"),
        Index("ix_dataset_items_hash", "example_hash"),
    )

    version_id: Mapped[str] = mapped_column(
        ForeignKey("dataset_contents.version_id"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    example_id: Mapped[str] = mapped_column(String(256))
    example_hash: Mapped[str] = mapped_column(ForeignKey("examples.hash"))


class SystemRow(Base):
    __tablename__ = "systems"

    version: Mapped[str] = mapped_column(Digest, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    payload: Mapped[dict] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    system_name: Mapped[str] = mapped_column(String(128))
    system_version: Mapped[str] = mapped_column(Digest, index=True)
    dataset: Mapped[str] = mapped_column(String(256))
    split: Mapped[str | None] = mapped_column(String(32))
    repeat: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(32))
    n_items: Mapped[int] = mapped_column(Integer, default=0)
    config: Mapped[dict] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TraceRow(Base):
    __tablename__ = "traces"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    example_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    repetition: Mapped[int] = mapped_column(Integer, primary_key=True)
    error: Mapped[str | None] = mapped_column(Text)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    latency_s: Mapped[float | None] = mapped_column(Float)
    blob: Mapped[str | None] = mapped_column(Digest)
    # The trace as JSON when it is small (see runner.INLINE_TRACE_BYTES); else ``blob`` holds it.
    payload: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ScoreRow(Base):
    __tablename__ = "scores"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    example_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    repetition: Mapped[int] = mapped_column(Integer, primary_key=True)
    scorer: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    label: Mapped[str | None] = mapped_column(String(128))
    explanation: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JsonType)
    error: Mapped[str | None] = mapped_column(Text)


class LabelRow(Base):
    __tablename__ = "labels"
    __table_args__ = (Index("ix_labels_item", "dataset", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset: Mapped[str | None] = mapped_column(String(256))
    item_id: Mapped[str] = mapped_column(String(256))
    annotator: Mapped[str] = mapped_column(String(128))
    label: Mapped[str] = mapped_column(String(128))
    rationale: Mapped[str | None] = mapped_column(Text)
    adjudicated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JudgeRow(Base):
    __tablename__ = "judges"

    version: Mapped[str] = mapped_column(Digest, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    payload: Mapped[dict] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RecordRow(Base):
    """Records whose schema a later issue owns (calibrations, comparisons, review items,
    simulations, jobs): kept as validated JSON under a kind until their own tables arrive."""

    __tablename__ = "records"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    payload: Mapped[dict] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CallCacheRow(Base):
    """One model call's response, keyed by hash(model identity, full request, seed)."""

    __tablename__ = "call_cache"

    key: Mapped[str] = mapped_column(Digest, primary_key=True)
    model: Mapped[str] = mapped_column(String(512))
    request: Mapped[str] = mapped_column(Text)
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MirrorPairRow(Base):
    """One mirrored request with both answers (``core.mirror.MirrorPair`` as JSON), and the
    comparison's outcome once it has run. ``seen_at`` is when the request happened (the traffic's
    own time for a replay), which is what readiness windows count by."""

    __tablename__ = "mirror_pairs"
    __table_args__ = (Index("ix_mirror_pairs_mirror_seen", "mirror", "seen_at"),)

    mirror: Mapped[str] = mapped_column(String(128), primary_key=True)
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    example_id: Mapped[str] = mapped_column(String(256))
    conversation_id: Mapped[str | None] = mapped_column(String(256))
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict] = mapped_column(JsonType)
    relation: Mapped[str | None] = mapped_column(String(16))
    winner: Mapped[str | None] = mapped_column(String(16))
    analysis: Mapped[dict | None] = mapped_column(JsonType)


class TrainedModelRow(Base):
    """A registered fine-tune (``core.trained.TrainedModel`` as JSON); ``status`` is a column so
    candidates and promoted models are listed without reading every payload."""

    __tablename__ = "trained_models"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict] = mapped_column(JsonType)
