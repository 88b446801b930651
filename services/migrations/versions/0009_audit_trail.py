"""audit trail: outcome, client address, child ids, hash chain; append-only on PostgreSQL

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from services.common.tables import UTCDateTime

revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# PostgreSQL: nobody changes or removes an audit row, whatever their grants (only a superuser or the table's
# owner can disable these triggers: run the application as a role that does not own audit_log).
APPEND_ONLY = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
TABLES = ("audit_log", "audit_log_children")


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('status', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('client_address', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.alter_column('action', existing_type=sqlmodel.sql.sqltypes.AutoString(length=50),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=200), existing_nullable=False)

    op.create_table('audit_log_children',
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id'], ),
    sa.PrimaryKeyConstraint('audit_id', 'child_id')
    )
    with op.batch_alter_table('audit_log_children', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_children_child_id'), ['child_id'], unique=False)

    _chain_existing_rows()

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('outcome', existing_type=sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_log_prev_hash'), ['prev_hash'])

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(APPEND_ONLY)
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()")


def _chain_existing_rows() -> None:
    """Rows written before the chain (only ever for done use cases) are chained in id order, as allowed."""
    from services.common.audit import ALLOWED, GENESIS, chain_hash
    from services.common.tables import AuditEntry

    log = sa.table('audit_log', sa.column('id', sa.Integer()), sa.column('at', UTCDateTime()),
                   sa.column('actor', sa.String()), sa.column('role', sa.String()), sa.column('action', sa.String()),
                   sa.column('referral_id', sa.Uuid()), sa.column('child_id', sa.Uuid()),
                   sa.column('record_id', sa.Uuid()), sa.column('outcome', sa.String()),
                   sa.column('prev_hash', sa.String()), sa.column('hash', sa.String()))
    bind = op.get_bind()
    prev = GENESIS
    for r in bind.execute(sa.select(log).order_by(log.c.id)).mappings().all():
        row = AuditEntry(id=r['id'], at=r['at'], actor=r['actor'], role=r['role'], action=r['action'],
                         outcome=ALLOWED, status=None, client_address=None, referral_id=r['referral_id'],
                         child_id=r['child_id'], record_id=r['record_id'], prev_hash=prev, hash="")
        digest = chain_hash(row, (), prev)
        bind.execute(log.update().where(log.c.id == r['id']).values(outcome=ALLOWED, prev_hash=prev, hash=digest))
        prev = digest


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table('audit_log_children', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_children_child_id'))
    op.drop_table('audit_log_children')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_log_prev_hash'), type_='unique')
        batch_op.alter_column('action', existing_type=sqlmodel.sql.sqltypes.AutoString(length=200),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=50), existing_nullable=False)
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('client_address')
        batch_op.drop_column('status')
        batch_op.drop_column('outcome')
