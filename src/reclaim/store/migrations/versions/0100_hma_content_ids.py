"""HMA 2.0's bank and content fields: a bank's matching_enabled_ratio, content disable_until_ts and metadata

HMA's integer content ids are the ``bank_content`` row ids (unique across banks); Reclaim's string content ids
stay in ``content_id`` and are shown to HMA clients as ``metadata.content_id``.

Revision ID: 0100_hma_content_ids
Revises: 0090_accounts
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0100_hma_content_ids"
down_revision = "0090_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("banks") as batch_op:
        batch_op.add_column(sa.Column("matching_enabled_ratio", sa.Float(), nullable=False, server_default="1.0"))
    with op.batch_alter_table("bank_content") as batch_op:
        batch_op.add_column(sa.Column("disable_until_ts", sa.BigInteger(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("hma_metadata", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bank_content") as batch_op:
        batch_op.drop_column("hma_metadata")
        batch_op.drop_column("disable_until_ts")
    with op.batch_alter_table("banks") as batch_op:
        batch_op.drop_column("matching_enabled_ratio")
