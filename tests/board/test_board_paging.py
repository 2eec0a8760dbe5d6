"""At most 50 cards per column; "meer laden" pages on (step_entered_at, id)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.models import Registration
from caseapp.process import STEPS

from .conftest import HTMX_PARTIAL, card_ids, column_count, column_html


def _more_url(html: str, step: str) -> str | None:
    match = re.search(rf'<div class="board-column__more" id="more-{step}">\s*<a [^>]*href="([^"]+)"', html)
    return unescape(match.group(1)) if match else None


def test_a_column_shows_fifty_cards_and_a_more_link(client, login_as, add_registrations):
    login_as("asr")
    ids = add_registrations(120, steps=("received",), with_children=False)
    html = client.get("/board").get_data(as_text=True)
    received = column_html(html, "received")
    assert card_ids(received) == ids[:50]
    assert column_count(html, "received") == 120
    url = _more_url(received, "received")
    assert url and url.startswith("/board/column/received?after=")
    assert "Meer laden" in received


def test_more_appends_the_next_fifty_then_the_rest(client, login_as, add_registrations):
    login_as("asr")
    ids = add_registrations(120, steps=("received",), with_children=False)
    url = _more_url(client.get("/board").get_data(as_text=True), "received")

    second = client.get(url, headers=HTMX_PARTIAL)
    body = second.get_data(as_text=True)
    assert second.status_code == 200
    assert "<html" not in body
    assert card_ids(body) == ids[50:100]
    # Keyboard focus goes to the first card that came in (the button replaced itself).
    assert f'id="card-{ids[50]}-link" href="/registrations/{ids[50]}" data-board-focus' in body
    assert body.count("data-board-focus") == 1
    # The "meer laden" control replaces itself, pointing further on.
    assert '<hx-partial hx-target="#more-received" hx-swap="outerHTML">' in body
    url = _more_url(body, "received")
    assert url

    third = client.get(url, headers=HTMX_PARTIAL).get_data(as_text=True)
    assert card_ids(third) == ids[100:]
    assert _more_url(third, "received") is None


def test_paging_is_keyset_so_cards_with_the_same_timestamp_are_neither_lost_nor_repeated(
    client, login_as, add_registrations
):
    login_as("asr")
    ids = add_registrations(75, steps=("policy",), with_children=False)
    # Everyone entered the step at the very same moment: the id breaks the tie.
    first = db.session.get(Registration, ids[0]).step_entered_at
    db.session.execute(sa.update(Registration).values(step_entered_at=first))
    db.session.commit()
    html = client.get("/board").get_data(as_text=True)
    seen = card_ids(column_html(html, "policy"))
    rest = client.get(_more_url(html, "policy"), headers=HTMX_PARTIAL).get_data(as_text=True)
    seen += card_ids(rest)
    assert seen == sorted(ids)


def test_more_without_javascript_is_a_page_of_its_own_with_the_filters_kept(client, login_as, add_registrations):
    login_as("asr")
    ids = add_registrations(60, steps=("setup",), with_children=False, waiting_since=None, waiting_reason=None)
    url = _more_url(client.get("/board?q=bulkwerkgever").get_data(as_text=True), "setup")
    assert parse_qs(urlsplit(url).query)["q"] == ["bulkwerkgever"]
    response = client.get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in body and "Inrichting Keylane" in body
    assert card_ids(body) == ids[50:]
    assert 'href="/board?q=bulkwerkgever#column-setup"' in body


def test_more_with_a_broken_cursor_is_a_bad_request(client, login_as):
    login_as("asr")
    assert client.get("/board/column/received?after=yesterday", headers=HTMX_PARTIAL).status_code == 400


def test_more_for_an_unknown_or_filtered_out_column_is_not_found(client, login_as):
    login_as("asr")
    assert client.get("/board/column/withdrawn").status_code == 404
    assert client.get("/board/column/setup?team=asr").status_code == 404


def test_every_column_pages_on_its_own(client, login_as, add_registrations):
    login_as("admin")
    add_registrations(51 * len(STEPS), with_children=False)
    html = client.get("/board").get_data(as_text=True)
    for step in STEPS:
        assert len(card_ids(column_html(html, step))) == 50
        assert _more_url(html, step)
