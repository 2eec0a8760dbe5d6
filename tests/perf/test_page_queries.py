"""A fixed number of SQL statements per public page, however many registrations,
events and contacts there are. (The board's own budget, filtered or not, is in
tests/board/test_board_queries.py; the detail page's is with the detail page.)"""

from __future__ import annotations

import sqlalchemy as sa

from bench.seed import status_token
from caseapp.extensions import db
from caseapp.models import Registration
from tests.factories import valid_intake_form

# The registration, looked up by the hash of the token. Nothing else: the page
# shows no DGAs, policies, contacts or events.
STATUS_BUDGET = 1
# Sending an intake (the check page's POST; the form's POST before it sends none): the open
# duplicates (1), the reference counter (2: create the year's row if
# missing, then increment it), the registration (1), its DGAs, the `submitted`
# event (1), and the two e-mails in the outbox (2: the first is flushed early,
# the detail link in the a.s.r. e-mail needs the new id). SQLAlchemy inserts the
# DGAs in one statement on PostgreSQL and one per DGA on SQLite (where it cannot
# match RETURNING rows to objects in a multi-row INSERT); this intake has two.
INTAKE_BUDGET = {"postgresql": 8, "sqlite": 9}
TWO_DGAS = {"directors-0-name": "J. de Boer", "directors-0-personnel_number": "101",
            "directors-1-name": "A. Jansen", "directors-1-personnel_number": "102"}


def _sent_by(app, statements, request) -> list[str]:
    # A fresh app context, as every real request has: nothing comes from the test's session.
    with app.app_context(), statements() as sent:
        response = request()
    return sent, response


def test_status_page_costs_one_statement_for_20_and_for_400_registrations(app, client, seed_registrations, statements):
    counts = []
    for n in (20, 380):
        seed_registrations(n)
        newest = db.session.scalar(sa.select(sa.func.max(Registration.id)))
        db.session.remove()
        sent, response = _sent_by(app, statements, lambda: client.get(f"/status/{status_token(newest)}"))
        assert response.status_code == 200
        counts.append(len(sent))
    assert counts == [STATUS_BUDGET, STATUS_BUDGET], sent
    assert not any("director" in statement or "event" in statement for statement in sent)


def test_intake_post_costs_the_same_statements_for_20_and_for_400_registrations(
    app, client, seed_registrations, statements, is_postgres
):
    counts = []
    for n, tax_number in ((20, "123456782L01"), (380, "111222333L01")):
        seed_registrations(n)
        form = valid_intake_form(payroll_tax_number=tax_number, **TWO_DGAS)
        checked, response = _sent_by(app, statements, lambda: client.post("/aanmelden", data=form))
        assert response.status_code == 303 and checked == []  # to the check page: nothing stored yet
        sent, response = _sent_by(app, statements, lambda: client.post("/aanmelden/controleren"))
        assert response.status_code == 303
        counts.append(len(sent))
    expected = INTAKE_BUDGET["postgresql" if is_postgres else "sqlite"]
    assert counts == [expected, expected], sent
    # Nothing is read back after the commit (the confirmation page reads what it shows).
    assert not sent[-1].lstrip().upper().startswith("SELECT"), sent[-1]
