"""identity_sources.data may be NULL: enrolled photos now live in the encrypted photo vault, by sha256

Rows enrolled before keep their bytes until the identity is removed (or enrolled again).

Revision ID: 0070_identity_photos_vaulted
Revises: 0060_case_terms
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0070_identity_photos_vaulted"
down_revision = "0060_case_terms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("identity_sources") as batch_op:
        batch_op.alter_column("data", existing_type=sa.LargeBinary(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("identity_sources") as batch_op:
        batch_op.alter_column("data", existing_type=sa.LargeBinary(), nullable=False)
