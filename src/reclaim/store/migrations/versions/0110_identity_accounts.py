"""a victim account owns its face enrolment by id (users.identity_id), not by a matching name

Revision ID: 0110_identity_accounts
Revises: 0100_hma_content_ids
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0110_identity_accounts"
down_revision = "0100_hma_content_ids"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("identity_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_users_identity_id_identities"), "identities", ["identity_id"], ["id"],
                                 ondelete="SET NULL")
    # Accounts enrolled before this revision were found by name: link the ones whose own case lists an identity
    # of that name as a victim (the enrolment the victim page made), and no other.
    op.execute(
        "UPDATE users SET identity_id = (SELECT identities.id FROM identities JOIN case_victims "
        "ON case_victims.identity_id = identities.id WHERE identities.name = users.name "
        "AND case_victims.case_id = users.case_id) WHERE users.role = 'victim'"
    )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("fk_users_identity_id_identities"), type_="foreignkey")
        batch.drop_column("identity_id")
