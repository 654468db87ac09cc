"""matches.frame_time: where in a video (seconds) the match was found

Revision ID: 0050_match_frame_time
Revises: 0040_keypoint_blobs
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0050_match_frame_time"
down_revision = "0040_keypoint_blobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("matches") as batch_op:
        batch_op.add_column(sa.Column("frame_time", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("matches") as batch_op:
        batch_op.drop_column("frame_time")
