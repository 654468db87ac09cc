"""index bank_content.withdrawn_at: the PDQ cache asks for withdrawals since it was written on every open

Revision ID: 0080_withdrawn_at_index
Revises: 0070_identity_photos_vaulted
Create Date: 2026-11-28
"""

from alembic import op

revision = "0080_withdrawn_at_index"
down_revision = "0070_identity_photos_vaulted"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_bank_content_withdrawn_at", "bank_content", ["withdrawn_at"])


def downgrade() -> None:
    op.drop_index("ix_bank_content_withdrawn_at", table_name="bank_content")
