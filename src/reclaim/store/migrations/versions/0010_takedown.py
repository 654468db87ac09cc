"""takedown requests, their reported items, and the takedown event history

Revision ID: 0010_takedown
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_takedown"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "takedown_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("platform", sa.String(length=40), nullable=False),
        sa.Column("lang", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("deadline_hours", sa.Integer(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_takedown_requests_case_id_cases"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["parent_id"], ["takedown_requests.id"],
                                name=op.f("fk_takedown_requests_parent_id_takedown_requests"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takedown_requests")),
    )
    with op.batch_alter_table("takedown_requests") as batch_op:
        batch_op.create_index(batch_op.f("ix_takedown_requests_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_takedown_requests_state"), ["state"], unique=False)
    op.create_table(
        "takedown_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_takedown_items_item_id_items"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["request_id"], ["takedown_requests.id"],
                                name=op.f("fk_takedown_items_request_id_takedown_requests"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takedown_items")),
        sa.UniqueConstraint("request_id", "item_id", name=op.f("uq_takedown_items_request_id")),
    )
    with op.batch_alter_table("takedown_items") as batch_op:
        batch_op.create_index(batch_op.f("ix_takedown_items_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_takedown_items_request_id"), ["request_id"], unique=False)
    op.create_table(
        "takedown_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_takedown_events_case_id_cases"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["request_id"], ["takedown_requests.id"],
                                name=op.f("fk_takedown_events_request_id_takedown_requests"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takedown_events")),
    )
    with op.batch_alter_table("takedown_events") as batch_op:
        batch_op.create_index(batch_op.f("ix_takedown_events_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_takedown_events_request_id"), ["request_id"], unique=False)


def downgrade() -> None:
    op.drop_table("takedown_events")
    op.drop_table("takedown_items")
    op.drop_table("takedown_requests")
