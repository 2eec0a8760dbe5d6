"""How the database reads the board, at a size where the plan matters.

The board must not read more as registrations pile up: each column's cards come
from ix_registration_board in order, stopped after a page, and the text filter
never goes near the events. On PostgreSQL the text filter uses the trigram
indexes (or a page-bounded walk of the board index), never a scan of every
registration. The plans are the ones the benchmark prints (bench.inprocess).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bench.inprocess import board_statements, card_statement, explain_board_search
from caseapp.extensions import db
from caseapp.models import Registration
from caseapp.process import STEPS

SIZE = 3000
# Below about 8,000 registrations PostgreSQL rightly finds a scan of the whole
# (small) table cheaper than six trigram index scans; above it, it must not.
SEARCH_SIZE = 12_000


def _plan(app, statement: str, parameters) -> str:
    with app.app_context():
        prefix = "EXPLAIN " if db.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
        rows = db.session.connection().exec_driver_sql(prefix + statement, parameters).all()
        db.session.remove()
    return "\n".join(str(row[0] if len(row) == 1 else row[3]) for row in rows)


def test_each_column_is_read_along_the_board_index_without_sorting_it(app, seed_registrations, is_postgres):
    seed_registrations(1000)  # with DGAs: "has a DGA" must be looked up per card
    seed_registrations(SIZE - 1000, related=False)
    plan = _plan(app, *card_statement(board_statements(app)))
    if is_postgres:
        assert plan.count("Index Scan using ix_registration_board") == len(STEPS), plan
        assert "Seq Scan on registration" not in plan and "Sort" not in plan, plan
        # Not a hash of every director (what an EXISTS became, at any size).
        assert "Seq Scan on director" not in plan, plan
    else:
        assert plan.count("USING INDEX ix_registration_board") == len(STEPS), plan
        assert "TEMP B-TREE" not in plan and "SCAN director" not in plan, plan


def test_board_text_search_touches_no_events_and_uses_the_trigram_indexes_on_postgresql(
    app, seed_registrations, is_postgres
):
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL): SQLite has no trigram index and scans")
    seed_registrations(1000)  # with events, contacts and the rest
    seed_registrations(SEARCH_SIZE - 1000, related=False)
    reference = db.session.scalar(sa.select(Registration.reference).order_by(Registration.id).offset(SEARCH_SIZE // 2))
    db.session.remove()
    for query in (reference, "bakkerij noord"):
        explained = explain_board_search(app, query)
        plans = "\n\n".join("\n".join(plan["plan"]) for plan in explained["plans"])
        assert not explained["touches_event"], plans
        assert not explained["full_scan_of_registration"], plans
    # A rare term (one registration) is found through the trigram indexes.
    explained = explain_board_search(app, reference)
    assert any(name.startswith("ix_registration_search_") for name in explained["indexes"]), explained["plans"]
