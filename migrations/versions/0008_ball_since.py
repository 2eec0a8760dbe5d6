"""registration.ball_since, and an index for a registration's latest contact

Revision ID: 0008_ball_since
Revises: 0007_search
Create Date: 2026-11-29 10:00:00

- registration.ball_since: since when the party that has to act now has had the
  registration without a break (NULL when nobody has to act). The board showed
  this by replaying each card's event trail on every view (~2,500 events for a
  board of 250 cards, about half of its time); workflow.py now keeps it on the
  row. Existing rows are filled in from their event trails with the same replay
  (caseapp.insight.clocks.ball_since_after), so old and new rows agree.
- ix_contact_log_entry_latest (registration_id, occurred_at, id) replaces the
  index on registration_id alone: the stale and due rules read each card's
  latest contact from the end of this index.
"""
import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision = '0008_ball_since'
down_revision = '0007_search'
branch_labels = None
depends_on = None

CLOCK_EVENT_KINDS = ('submitted', 'step_changed', 'waiting_set', 'waiting_cleared', 'withdrawn', 'reopened')


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ball_since', sa.DateTime(), nullable=True))
    with op.batch_alter_table('contact_log_entry', schema=None) as batch_op:
        batch_op.create_index('ix_contact_log_entry_latest', ['registration_id', 'occurred_at', 'id'], unique=False)
        batch_op.drop_index('ix_contact_log_entry_registration_id')
    if not context.is_offline_mode():
        _fill_ball_since()
    # What no trail says (none recorded, or offline mode): the team since the step
    # began, the processor since the wait began.
    op.execute(
        "UPDATE registration SET ball_since = COALESCE(waiting_since, step_entered_at) "
        "WHERE ball_since IS NULL AND withdrawn_at IS NULL AND step <> 'live'"
    )


def _fill_ball_since():
    """Replay every registration's trail once, in registration order, in one pass."""
    from caseapp.insight.clocks import ball_since_after

    bind = op.get_bind()
    event = sa.table(
        'event',
        sa.column('id', sa.Integer),
        sa.column('registration_id', sa.Integer),
        sa.column('created_at', sa.DateTime),
        sa.column('kind', sa.String),
        sa.column('data', sa.JSON),
    )
    registration = sa.table('registration', sa.column('id', sa.Integer), sa.column('ball_since', sa.DateTime))
    rows = bind.execute(
        sa.select(event.c.registration_id, event.c.created_at, event.c.kind, event.c.data)
        .where(event.c.kind.in_(CLOCK_EVENT_KINDS))
        .order_by(event.c.registration_id, event.c.created_at, event.c.id)
        .execution_options(stream_results=True)
    )
    updates, current, trail = [], None, []

    def flush_one():
        if current is not None:
            since = ball_since_after(trail)
            if since is not None:
                updates.append({'rid': current, 'since': since})

    for registration_id, created_at, kind, data in rows:
        if registration_id != current:
            flush_one()
            current, trail = registration_id, []
        trail.append((created_at, kind, data))
    flush_one()
    if updates:
        bind.execute(
            registration.update().where(registration.c.id == sa.bindparam('rid')).values(
                ball_since=sa.bindparam('since')
            ),
            updates,
        )


def downgrade():
    with op.batch_alter_table('contact_log_entry', schema=None) as batch_op:
        batch_op.create_index('ix_contact_log_entry_registration_id', ['registration_id'], unique=False)
        batch_op.drop_index('ix_contact_log_entry_latest')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_column('ball_since')
