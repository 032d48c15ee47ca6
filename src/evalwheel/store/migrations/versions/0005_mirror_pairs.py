"""Mirror pairs: requests answered by the current and the candidate system (live or replayed).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "mirror_pairs",
        sa.Column("mirror", sa.String(length=128), primary_key=True),
        sa.Column("id", sa.String(length=128), primary_key=True),
        sa.Column("example_id", sa.String(length=256), nullable=False),
        sa.Column("conversation_id", sa.String(length=256), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=True),
        sa.Column("winner", sa.String(length=16), nullable=True),
        sa.Column("analysis", _JSON, nullable=True),
    )
    op.create_index("ix_mirror_pairs_mirror_seen", "mirror_pairs", ["mirror", "seen_at"])


def downgrade() -> None:
    op.drop_index("ix_mirror_pairs_mirror_seen", table_name="mirror_pairs")
    op.drop_table("mirror_pairs")
