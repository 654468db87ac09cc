"""keypoint sets: a blob column beside each stored signal value; per-bank keypoint policy

Revision ID: 0040_keypoint_blobs
Revises: 0030_case_victims
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0040_keypoint_blobs"
down_revision = "0030_case_victims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("content_signals", "item_signals"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("blob", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("banks") as batch_op:
        batch_op.add_column(sa.Column("keypoints", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("banks") as batch_op:
        batch_op.drop_column("keypoints")
    for table in ("item_signals", "content_signals"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("blob")
