"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('banks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('pdq_threshold', sa.Integer(), nullable=False),
    sa.Column('pdq_min_quality', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_banks')),
    sa.UniqueConstraint('name', name=op.f('uq_banks_name'))
    )
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('name', name=op.f('uq_cases_name'))
    )
    op.create_table('bank_content',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('content_id', sa.String(length=500), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_bank_content_bank_id_banks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_content')),
    sa.UniqueConstraint('bank_id', 'content_id', name=op.f('uq_bank_content_bank_id'))
    )
    with op.batch_alter_table('bank_content', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_content_bank_id'), ['bank_id'], unique=False)

    op.create_table('scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.Text(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_scans_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scans'))
    )
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scans_case_id'), ['case_id'], unique=False)

    op.create_table('content_signals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('content_pk', sa.Integer(), nullable=False),
    sa.Column('signal', sa.String(length=50), nullable=False),
    sa.Column('version', sa.String(length=50), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('quality', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['content_pk'], ['bank_content.id'], name=op.f('fk_content_signals_content_pk_bank_content'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_signals'))
    )
    with op.batch_alter_table('content_signals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_signals_content_pk'), ['content_pk'], unique=False)
        batch_op.create_index('ix_content_signals_signal_value', ['signal', 'value'], unique=False)

    op.create_table('items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('scan_id', sa.Integer(), nullable=False),
    sa.Column('locator', sa.Text(), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('mtime_ns', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error_code', sa.String(length=50), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('media_format', sa.String(length=20), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_items_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['scan_id'], ['scans.id'], name=op.f('fk_items_scan_id_scans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('case_id', 'locator', name=op.f('uq_items_case_id'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_items_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_scan_id'), ['scan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_sha256'), ['sha256'], unique=False)

    op.create_table('item_signals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('signal', sa.String(length=50), nullable=False),
    sa.Column('version', sa.String(length=50), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('quality', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_signals_item_id_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_signals'))
    )
    with op.batch_alter_table('item_signals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_signals_item_id'), ['item_id'], unique=False)

    op.create_table('matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('content_signal_id', sa.Integer(), nullable=True),
    sa.Column('bank', sa.String(length=200), nullable=False),
    sa.Column('bank_kind', sa.String(length=20), nullable=False),
    sa.Column('content_id', sa.String(length=500), nullable=False),
    sa.Column('signal', sa.String(length=50), nullable=False),
    sa.Column('signal_version', sa.String(length=50), nullable=False),
    sa.Column('distance', sa.Float(), nullable=False),
    sa.Column('suppressed', sa.Boolean(), nullable=False),
    sa.Column('matched_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['content_signal_id'], ['content_signals.id'], name=op.f('fk_matches_content_signal_id_content_signals'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_matches_item_id_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_matches'))
    )
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_matches_item_id'), ['item_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_matches_item_id'))

    op.drop_table('matches')
    with op.batch_alter_table('item_signals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_signals_item_id'))

    op.drop_table('item_signals')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_items_sha256'))
        batch_op.drop_index(batch_op.f('ix_items_scan_id'))
        batch_op.drop_index(batch_op.f('ix_items_case_id'))

    op.drop_table('items')
    with op.batch_alter_table('content_signals', schema=None) as batch_op:
        batch_op.drop_index('ix_content_signals_signal_value')
        batch_op.drop_index(batch_op.f('ix_content_signals_content_pk'))

    op.drop_table('content_signals')
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scans_case_id'))

    op.drop_table('scans')
    with op.batch_alter_table('bank_content', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_content_bank_id'))

    op.drop_table('bank_content')
    op.drop_table('cases')
    op.drop_table('banks')
