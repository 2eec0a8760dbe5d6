"""outbox_message.reply_to: where the processor's replies go

Revision ID: 0009_outbox_reply_to
Revises: 0008_ball_since
Create Date: 2026-12-05 09:00:00

Every e-mail to the processor gets a Reply-To: the mailbox of the team that
owns the registration's step when the message is queued. It is stored with
the message, so the sender sends what was queued and a resend replies to the
same team. Nullable: team mail has none, nor do rows queued before this
revision (they go out as they were written).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_outbox_reply_to'
down_revision = '0008_ball_since'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_to', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('reply_to')
