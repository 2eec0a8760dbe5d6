"""Helpers for the board tests: many registrations inserted in bulk, reading
columns out of the HTML, and counting SQL statements. Logged-in staff come from
tests/factories.py (login_as)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseapp.dates import utcnow
from caseapp.extensions import db
from caseapp.models import (
    AuthorisationCheck,
    ContactLogEntry,
    Director,
    Event,
    PolicyRecord,
    Registration,
)
from caseapp.process import STEPS

HTMX_PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}


@pytest.fixture()
def add_registrations(app):
    """Insert `n` registrations in one statement (no HTTP, no intake service).

    Spread over the steps given (round robin), oldest first, with a DGA, a policy
    and a few checks on some of them so every part of a card is exercised, and
    events and contact log entries, which the board must never read (its query
    budget holds whatever their number). Returns the new ids in insertion order.
    """
    counter = {"n": 0}

    def _add(n: int, steps=STEPS, with_children: bool = True, **overrides) -> list[int]:
        now = utcnow()
        rows = []
        for index in range(n):
            counter["n"] += 1
            serial = counter["n"]
            row = dict(
                reference=f"AW-2099-{serial:05d}",
                processor_name=f"Salarisbureau {serial % 7}",
                processor_email="loket@example.nl",
                employer_name=f"Bulkwerkgever {serial}",
                contract_number=f"A020{serial:06d}",
                payroll_tax_number="123456782L01",
                loket_employer_id=f"00000000-0000-4000-9000-{serial:012d}",
                pay_frequency="monthly",
                thirteenth_month=False,
                step=steps[index % len(steps)],
                step_entered_at=now - timedelta(days=30, minutes=n - index),
                status_token_hash=f"{serial:064x}",
                possible_duplicate=index % 5 == 0,
                contract_prefix_warning=index % 7 == 0,
                waiting_reason="Rechten ontbreken" if index % 6 == 0 else None,
                waiting_since=now if index % 6 == 0 else None,
            )
            row.update(overrides)
            # Who has the ball since when, as the workflow would have kept it.
            row.setdefault("ball_since", None if row["step"] == "live" else row["waiting_since"] or row["step_entered_at"])
            rows.append(row)
        ids = list(db.session.scalars(sa.insert(Registration).returning(Registration.id), rows))
        if with_children:
            db.session.execute(
                sa.insert(Director),
                [dict(registration_id=rid, name="J. de Boer", personnel_number="1") for rid in ids[::3]],
            )
            db.session.execute(
                sa.insert(PolicyRecord),
                [
                    dict(registration_id=rid, policy_number="PP-1", scheme="Pensioen", start_date=now.date())
                    for rid in ids[::2]
                ],
            )
            db.session.execute(
                sa.insert(AuthorisationCheck),
                [dict(registration_id=rid, key=key) for rid in ids[::2] for key in ("standard_user", "right_bsn")],
            )
            db.session.execute(
                sa.insert(Event),
                [dict(registration_id=rid, kind="note", actor_label="system", data={}) for rid in ids for _ in range(3)],
            )
            db.session.execute(
                sa.insert(ContactLogEntry),
                [dict(registration_id=rid, occurred_at=now, channel="phone", with_whom="Salarisbureau",
                      summary="Gebeld over de autorisaties.") for rid in ids[::2]],
            )
        db.session.commit()
        return ids

    return _add


def column_html(html: str, step: str) -> str:
    match = re.search(rf'<section [^>]*id="column-{step}".*?</section>', html, re.S)
    assert match, f"no column {step}"
    return match.group(0)


def card_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<li class="card[^"]*" id="card-(\d+)"', html)]


def column_count(html: str, step: str) -> int:
    match = re.search(r'class="board-column__count">(\d+)<', column_html(html, step))
    assert match
    return int(match.group(1))
