"""identities with consent, their source photos, face matches, face audit log; wider item signal values

Revision ID: 0020_identities
Revises: 0010_takedown
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_identities"
down_revision = "0010_takedown"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("consent", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("on_behalf_of", sa.String(length=200), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
        sa.UniqueConstraint("name", name=op.f("uq_identities_name")),
    )
    op.create_table(
        "identity_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("descriptor", sa.LargeBinary(), nullable=False),
        sa.Column("box", sa.JSON(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["identity_id"], ["identities.id"],
                                name=op.f("fk_identity_sources_identity_id_identities"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_sources")),
        sa.UniqueConstraint("identity_id", "sha256", name=op.f("uq_identity_sources_identity_id")),
    )
    with op.batch_alter_table("identity_sources") as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_sources_identity_id"), ["identity_id"], unique=False)
    op.create_table(
        "face_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("identity", sa.String(length=200), nullable=False),
        sa.Column("signal_version", sa.String(length=50), nullable=False),
        sa.Column("distance", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("box", sa.JSON(), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_face_matches_item_id_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_matches")),
    )
    with op.batch_alter_table("face_matches") as batch_op:
        batch_op.create_index(batch_op.f("ix_face_matches_item_id"), ["item_id"], unique=False)
    op.create_table(
        "face_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("compared", sa.JSON(), nullable=False),
        sa.Column("faces", sa.Integer(), nullable=False),
        sa.Column("matched", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_audit")),
    )
    with op.batch_alter_table("item_signals") as batch_op:
        batch_op.alter_column("value", existing_type=sa.String(length=200), type_=sa.String(length=400),
                              existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("item_signals") as batch_op:
        batch_op.alter_column("value", existing_type=sa.String(length=400), type_=sa.String(length=200),
                              existing_nullable=False)
    op.drop_table("face_audit")
    with op.batch_alter_table("face_matches") as batch_op:
        batch_op.drop_index(batch_op.f("ix_face_matches_item_id"))
    op.drop_table("face_matches")
    with op.batch_alter_table("identity_sources") as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_sources_identity_id"))
    op.drop_table("identity_sources")
    op.drop_table("identities")
