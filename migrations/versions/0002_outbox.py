"""outbox: stable Message-ID and a claim token for concurrent senders

Revision ID: 0002_outbox
Revises: 0001
Create Date: 2026-11-30 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_outbox'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=32), nullable=True))

    # Rows queued before this revision get a Message-ID of their own.
    op.execute(
        "UPDATE outbox_message SET message_id = '<outbox-' || id || '@caseapp.invalid>' "
        "WHERE message_id IS NULL"
    )

    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.alter_column('message_id', existing_type=sa.String(length=255), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_message_message_id'), ['message_id'])


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_outbox_message_message_id'), type_='unique')
        batch_op.drop_column('claim_token')
        batch_op.drop_column('message_id')
