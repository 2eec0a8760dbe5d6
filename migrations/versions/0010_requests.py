"""requests to the processor, their items, answers and attachments

Revision ID: 0010_requests
Revises: 0009_outbox_reply_to
Create Date: 2026-12-07 09:00:00

- processor_request: what a team asks the processor while the registration waits
  on them (registration.waiting_reason/waiting_since stay as they are: the board,
  the clocks and the digest read them), and the processor's answer. At most one
  open request per registration: ix_processor_request_open, a unique index over
  the rows with closed_at IS NULL (a partial index, on SQLite and PostgreSQL).
- processor_request_item: the items of a request (a prerequisite of step 1, or
  `other`).
- attachment: the file a processor attached to an answer, its bytes in the
  database so every web host can serve it.
- registration.answer_received_at: an answer staff have not acted on yet (the
  board's badge).

A registration waiting on the processor before this revision gets an open
request with the item `other` and its waiting reason as the message, so every
wait has a request behind it and the processor can answer it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_requests'
down_revision = '0009_outbox_reply_to'
branch_labels = None
depends_on = None

REQUEST_ITEM_KEYS = (
    'standard_user', 'dedicated_user', 'active_user', 'employer_access', 'right_bsn', 'right_rewards',
    'right_employments', 'right_hrm', 'right_payroll_output', 'right_variable_data', 'other',
)
ATTACHMENT_TYPES = ('image/png', 'image/jpeg', 'application/pdf')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade():
    op.create_table('processor_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=2000), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('answer', sa.String(length=16), nullable=True),
    sa.Column('answer_comment', sa.String(length=2000), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("answer IN ('done', 'question')", name=op.f('ck_processor_request_answer')),
    sa.CheckConstraint('answer IS NULL OR closed_at IS NOT NULL', name=op.f('ck_processor_request_answered_is_closed')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user.id'], name=op.f('fk_processor_request_closed_by_id_user')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user.id'], name=op.f('fk_processor_request_opened_by_id_user')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_processor_request_registration_id_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_processor_request'))
    )
    with op.batch_alter_table('processor_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processor_request_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index('ix_processor_request_open', ['registration_id'], unique=True,
                              sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))

    op.create_table('processor_request_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint(_in('key', REQUEST_ITEM_KEYS), name=op.f('ck_processor_request_item_key')),
    sa.ForeignKeyConstraint(['request_id'], ['processor_request.id'], name=op.f('fk_processor_request_item_request_id_processor_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_processor_request_item')),
    sa.UniqueConstraint('request_id', 'key', name='uq_processor_request_item_key')
    )
    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint(_in('content_type', ATTACHMENT_TYPES), name=op.f('ck_attachment_content_type')),
    sa.ForeignKeyConstraint(['request_id'], ['processor_request.id'], name=op.f('fk_attachment_request_id_processor_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    sa.UniqueConstraint('request_id', name=op.f('uq_attachment_request_id'))
    )
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answer_received_at', sa.DateTime(), nullable=True))

    # Every wait that began before this revision gets its request: `other`, its reason as the message.
    op.execute(
        "INSERT INTO processor_request (registration_id, message, opened_at) "
        "SELECT id, COALESCE(waiting_reason, ''), waiting_since FROM registration WHERE waiting_since IS NOT NULL"
    )
    op.execute("INSERT INTO processor_request_item (request_id, \"key\", position) SELECT id, 'other', 0 FROM processor_request")


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('answer_received_at')
    op.drop_table('attachment')
    op.drop_table('processor_request_item')
    with op.batch_alter_table('processor_request', schema=None) as batch_op:
        batch_op.drop_index('ix_processor_request_open')
        batch_op.drop_index(batch_op.f('ix_processor_request_registration_id'))
    op.drop_table('processor_request')
