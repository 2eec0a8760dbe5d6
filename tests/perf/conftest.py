"""Helpers for the performance budgets that are deterministic: SQL statement counts
and query plans, on realistic data from the benchmark's seeder (bench/seed.py:
every registration with ~10 events, contacts, checks, DGAs, a policy record)."""

from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa

from bench.seed import seed
from caseapp.extensions import db


@pytest.fixture()
def seed_registrations(app):
    """`seed_registrations(n)` adds n registrations with their related rows (and, the
    first time, the benchmark's staff users); `related=False` only the registrations."""

    def _seed(n: int, related: bool = True) -> dict[str, int]:
        counts = seed(n, related=related)
        db.session.remove()
        return counts

    return _seed


@pytest.fixture()
def statements(app):
    """`with statements() as sent:` collects every SQL statement the engine sends inside."""

    @contextlib.contextmanager
    def _collect():
        sent: list[str] = []

        def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
            sent.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", before_cursor_execute)
        try:
            yield sent
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", before_cursor_execute)

    return _collect
