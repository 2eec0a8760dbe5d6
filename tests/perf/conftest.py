"""Helpers for the performance budgets that are deterministic: SQL statement counts
and query plans, on realistic data from the benchmark's seeder (bench/seed.py:
every registration with ~10 events, contacts, checks, DGAs, a policy record)."""

from __future__ import annotations

import pytest

from bench.seed import seed
from caseapp.extensions import db
from tests.conftest import collect_statements


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
    return collect_statements
