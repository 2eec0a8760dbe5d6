"""board: indexes for the column counts and for the text search

Revision ID: 0007_search
Revises: 0002_outbox
Create Date: 2026-11-29 09:00:00

- ix_registration_counts (step, waiting_since, assignee_id, withdrawn_at): the
  board counts the registrations per column on every view; with every column it
  filters on in the index, the count is read from the index alone instead of
  visiting each row of the table. Both databases. (withdrawn_at last: see the
  model, SQLite would otherwise use it for the cards as well.)
- ix_registration_search_<column>: a trigram GIN index (pg_trgm) on each of the
  five columns the board's text search matches with ILIKE '%...%', so a search
  is a BitmapOr of index scans instead of a scan of every registration (one
  index over all five columns looks so expensive to the planner that it scans
  the table). PostgreSQL only: SQLite has no trigram index, and there this
  revision adds only the first index.

Both are built without CONCURRENTLY: at a.s.r.'s size (tens of thousands of
registrations) that is a second of blocked writes during the deploy.

The downgrade drops the extension again. Without CASCADE: if something else in
the database has come to use pg_trgm since, PostgreSQL refuses, and the
extension is better left for whoever owns that.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_search'
down_revision = '0002_outbox'
branch_labels = None
depends_on = None

SEARCHED_COLUMNS = ['employer_name', 'processor_name', 'reference', 'contract_number', 'payroll_tax_number']


def _postgresql() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def upgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index(
            'ix_registration_counts', ['step', 'waiting_since', 'assignee_id', 'withdrawn_at'], unique=False
        )
    if _postgresql():
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for column in SEARCHED_COLUMNS:
            op.create_index(
                f'ix_registration_search_{column}',
                'registration',
                [column],
                unique=False,
                postgresql_using='gin',
                postgresql_ops={column: 'gin_trgm_ops'},
            )


def downgrade():
    if _postgresql():
        for column in SEARCHED_COLUMNS:
            op.drop_index(f'ix_registration_search_{column}', table_name='registration')
        op.execute('DROP EXTENSION IF EXISTS pg_trgm')
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_index('ix_registration_counts')
