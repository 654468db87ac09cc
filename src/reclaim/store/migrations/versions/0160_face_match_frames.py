"""face_matches in videos and animations: the best frame's time and the span the identity shows in

Revision ID: 0160_face_match_frames
Revises: 0150_match_details
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0160_face_match_frames"
down_revision = "0150_match_details"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("face_matches") as batch_op:
        batch_op.add_column(sa.Column("frame_time", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("span_start", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("span_end", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("face_matches") as batch_op:
        batch_op.drop_column("span_end")
        batch_op.drop_column("span_start")
        batch_op.drop_column("frame_time")
