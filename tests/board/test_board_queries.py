"""The board costs a fixed number of SQL statements, however many registrations there are."""

from __future__ import annotations

import re

import pytest

from caseapp.extensions import db
from caseapp.process import STEPS

from .conftest import HTMX_PARTIAL, card_ids

# The logged-in user (1), the counts per column (1), the cards of every column with
# everything they show (1: who has the ball since when is on the row, the latest
# contact is joined), and what the guards of the columns the user may move read:
# policy records (for `policy`, a.s.r.) and authorisation checks (for `setup`,
# Keylane); admins both.
BOARD_BUDGET = 5


def _statements_for(client, count_queries, url: str, headers=None) -> list[str]:
    # A fresh app context, as every real request has: its own session and `g`, so
    # nothing comes from the test's identity map and the logged-in user is counted.
    with client.application.app_context():
        with count_queries() as statements:
            response = client.get(url, headers=headers or {})
    assert response.status_code == 200
    return statements


@pytest.mark.parametrize(
    "role, url, expected",
    [
        ("admin", "/board", BOARD_BUDGET),
        ("admin", "/board?q=bulkwerkgever&waiting=1", BOARD_BUDGET),
        ("admin", "/board?q=123.456.782&mine=1&withdrawn=1", BOARD_BUDGET),  # no card matches
        ("admin", "/board?team=keylane", 4),  # no policy column shown
        ("asr", "/board", 4),  # a.s.r. moves no card out of setup
        ("keylane", "/board?q=bulk&team=keylane", 4),
    ],
)
def test_board_costs_the_same_statements_for_10_and_for_500_registrations(
    client, login_as, add_registrations, count_queries, role, url, expected
):
    login_as(role)
    add_registrations(10)
    small = _statements_for(client, count_queries, url)
    add_registrations(490)
    large = _statements_for(client, count_queries, url)
    assert len(small) == len(large) == expected, large
    if "?" not in url:
        html = client.get(url).get_data(as_text=True)
        assert len(card_ids(html)) == 50 * len(STEPS)  # the 500 are really there, 50 shown per column


def test_partial_board_and_more_cost_a_fixed_number_of_statements(client, login_as, add_registrations, count_queries):
    login_as("asr")
    add_registrations(20)
    small = _statements_for(client, count_queries, "/board?q=bulk", HTMX_PARTIAL)
    add_registrations(480)
    large = _statements_for(client, count_queries, "/board?q=bulk", HTMX_PARTIAL)
    assert len(small) == len(large) == 4



def test_more_costs_a_fixed_number_of_statements(client, login_as, add_registrations, count_queries):
    login_as("asr")

    def more_statements() -> list[str]:
        html = client.get("/board").get_data(as_text=True)
        start = html.index('href="/board/column/policy?after=') + len('href="')
        more = html[start:html.index('"', start)].replace("&amp;", "&")
        return _statements_for(client, count_queries, more, HTMX_PARTIAL)

    add_registrations(60, steps=("policy",))
    small = more_statements()
    add_registrations(440, steps=("policy",))
    large = more_statements()
    # The user, the next cards of the column, and the policy records its guard reads.
    assert len(small) == len(large) == 3


def test_board_statements_do_not_load_children_per_card(client, login_as, add_registrations, count_queries):
    login_as("admin")
    add_registrations(100)
    statements = _statements_for(client, count_queries, "/board")
    text = "\n".join(statements).lower()
    # Each column is read along ix_registration_board and stops after 51 cards; the
    # columns are one statement (UNION ALL), not one per column or a window over all.
    assert "union all" in text
    assert len(re.findall(r"order by registration\.step_entered_at, registration\.id\s+limit", text)) == len(STEPS)
    # No event is read: who has the ball since when is a column of the registration.
    # The latest contact is one look-up per card shown, inside the card statement.
    assert not any(re.search(r"\b(from|join) event\b", statement.lower()) for statement in statements)
    contact_reads = [s for s in statements if "contact_log_entry" in s.lower()]
    assert len(contact_reads) == 1 and "union all" in contact_reads[0].lower()
    # Directors, policies and checks are never loaded per card: DGA is an EXISTS in
    # the card query, and the guards' facts are one look-up each.
    assert not any(statement.lower().startswith("select director") for statement in statements)
    assert sum(statement.lower().startswith("select policy_record") for statement in statements) == 1
    assert sum(statement.lower().startswith("select authorisation_check") for statement in statements) == 1


def test_move_costs_a_fixed_number_of_statements(client, login_as, add_registrations, count_queries):
    from caseapp.models import Registration

    user = login_as("admin")
    ids = add_registrations(300, steps=("received",), waiting_since=None, waiting_reason=None, assignee_id=None)
    counts = []
    for registration_id in ids[:2]:
        registration = db.session.get(Registration, registration_id)
        registration.assignee_id = user.id
        db.session.commit()
        version = registration.version
        with client.application.app_context(), count_queries() as statements:
            response = client.post(
                "/board/move",
                data={"registration_id": registration_id, "direction": "next", "version": version},
                headers=HTMX_PARTIAL,
            )
        assert response.status_code == 200
        counts.append(len(statements))
        add_registrations(200, steps=("received", "policy"))
    # The user; the registration with its DGAs, policies and checks; the UPDATE and
    # the event INSERT; then the counts, the cards of the two columns, the user again
    # (expired by the commit) and the guard look-up of those columns (policy only).
    assert counts[0] == counts[1] == 11, counts
