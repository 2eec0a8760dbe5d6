"""processor_request.reminders_sent: the reminders queued for a request

Revision ID: 0011_reminders
Revises: 0010_requests
Create Date: 2026-12-08 09:00:00

While a request is open the processor gets a reminder after REMINDER_WORKING_DAYS
working days (default 3 and 7). The counter is raised by a compare-and-set
UPDATE in the transaction that queues the reminder, so `reminders send` may run
in several processes at once without queueing one twice. Requests open before
this revision start at 0: the reminders they are due get queued by the next run.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_reminders'
down_revision = '0010_requests'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('processor_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminders_sent', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('processor_request', schema=None) as batch_op:
        batch_op.drop_column('reminders_sent')
