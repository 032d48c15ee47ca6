"""Initial schema: datasets, examples, systems, runs, traces, scores, labels, judges, records.

Revision ID: 0001
Revises:
Create Date: 2026-11-26 07:15:32.858597
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_contents",
        sa.Column("version_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("n_items", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version_id"),
    )
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "examples",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("example_id", sa.String(length=256), nullable=False),
        sa.Column(
            "payload",
            sa.Text(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("hash"),
    )
    op.create_table(
        "judges",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    with op.batch_alter_table("judges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_judges_name"), ["name"], unique=False)

    op.create_table(
        "labels",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset", sa.String(length=256), nullable=True),
        sa.Column("item_id", sa.String(length=256), nullable=False),
        sa.Column("annotator", sa.String(length=128), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("adjudicated", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.create_index("ix_labels_item", ["dataset", "item_id"], unique=False)

    op.create_table(
        "records",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "id"),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("system_name", sa.String(length=128), nullable=False),
        sa.Column("system_version", sa.String(length=64), nullable=False),
        sa.Column("dataset", sa.String(length=256), nullable=False),
        sa.Column("split", sa.String(length=32), nullable=True),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("n_items", sa.Integer(), nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_runs_system_version"), ["system_version"], unique=False
        )

    op.create_table(
        "systems",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    with op.batch_alter_table("systems", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_systems_name"), ["name"], unique=False)

    op.create_table(
        "dataset_items",
        sa.Column("version_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("example_id", sa.String(length=256), nullable=False),
        sa.Column("example_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["example_hash"],
            ["examples.hash"],
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["dataset_contents.version_id"],
        ),
        sa.PrimaryKeyConstraint("version_id", "position"),
        sa.UniqueConstraint("version_id", "example_id", name="uq_dataset_items_example"),
    )
    with op.batch_alter_table("dataset_items", schema=None) as batch_op:
        batch_op.create_index("ix_dataset_items_hash", ["example_hash"], unique=False)

    op.create_table(
        "dataset_versions",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["dataset_contents.version_id"],
        ),
        sa.PrimaryKeyConstraint("dataset_id", "version_id"),
        sa.UniqueConstraint("dataset_id", "seq", name="uq_dataset_versions_seq"),
    )
    op.create_table(
        "scores",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("example_id", sa.String(length=256), nullable=False),
        sa.Column("repetition", sa.Integer(), nullable=False),
        sa.Column("scorer", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("label", sa.String(length=128), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "example_id", "repetition", "scorer"),
    )
    op.create_table(
        "traces",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("example_id", sa.String(length=256), nullable=False),
        sa.Column("repetition", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("latency_s", sa.Float(), nullable=True),
        sa.Column("blob", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "example_id", "repetition"),
    )


def downgrade() -> None:
    op.drop_table("traces")
    op.drop_table("scores")
    op.drop_table("dataset_versions")
    with op.batch_alter_table("dataset_items", schema=None) as batch_op:
        batch_op.drop_index("ix_dataset_items_hash")

    op.drop_table("dataset_items")
    with op.batch_alter_table("systems", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_systems_name"))

    op.drop_table("systems")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runs_system_version"))

    op.drop_table("runs")
    op.drop_table("records")
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.drop_index("ix_labels_item")

    op.drop_table("labels")
    with op.batch_alter_table("judges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_judges_name"))

    op.drop_table("judges")
    op.drop_table("examples")
    op.drop_table("datasets")
    op.drop_table("dataset_contents")
