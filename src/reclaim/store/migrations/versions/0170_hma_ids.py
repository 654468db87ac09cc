"""HMA: a partial index over content switched off (disable_until_ts other than 1), signal type ratios

Each server worker keeps HMA's switches in memory and checks every poll whether they changed; through this
index that check reads only the (few) switched rows, not the whole bank_content table.

Revision ID: 0170_hma_ids
Revises: 0160_face_match_frames
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0170_hma_ids"
down_revision = "0160_face_match_frames"
branch_labels = None
depends_on = None

SWITCHED = sa.text("disable_until_ts != 1")


def upgrade() -> None:
    op.create_index("ix_bank_content_switched", "bank_content", ["id", "disable_until_ts"],
                    sqlite_where=SWITCHED, postgresql_where=SWITCHED)
    op.create_table(
        "hma_signal_types",
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("enabled_ratio", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_hma_signal_types")),
    )


def downgrade() -> None:
    op.drop_table("hma_signal_types")
    op.drop_index("ix_bank_content_switched", table_name="bank_content")
