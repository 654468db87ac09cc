"""matches.details: what a keypoint match rests on (inliers, scale, rotation, where in the query)

Revision ID: 0150_match_details
Revises: 0120_self_reports
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0150_match_details"
down_revision = "0120_self_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("matches") as batch_op:
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("matches") as batch_op:
        batch_op.drop_column("details")
