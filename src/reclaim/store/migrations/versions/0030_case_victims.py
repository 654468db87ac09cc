"""victims of a case: links from cases to consented, enrolled identities

Revision ID: 0030_case_victims
Revises: 0020_identities
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_case_victims"
down_revision = "0020_identities"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_victims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_victims_case_id_cases"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["identity_id"], ["identities.id"],
                                name=op.f("fk_case_victims_identity_id_identities"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_victims")),
        sa.UniqueConstraint("case_id", "identity_id", name=op.f("uq_case_victims_case_id")),
    )
    with op.batch_alter_table("case_victims") as batch_op:
        batch_op.create_index(batch_op.f("ix_case_victims_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_victims_identity_id"), ["identity_id"], unique=False)


def downgrade() -> None:
    op.drop_table("case_victims")
