"""Rendered cards are reused between board views (caseapp.board.kit.CardCache), never
shown stale and never with another session's CSRF token."""

from __future__ import annotations

import re

from caseapp import workflow
from caseapp.changes import transaction
from caseapp.extensions import db
from caseapp.models import Registration
from caseapp.registrations.service import add_contact
from tests.factories import log_in

from .conftest import column_html


def _card(html: str, registration_id: int) -> str:
    start = html.index(f'id="card-{registration_id}"')
    return html[start:html.index("</li>", start)]


def _tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', html))


def _without_tokens(html: str) -> str:
    """The page with every CSRF token (signed with the time: new every second) made equal."""
    return re.sub(r'"(csrf_token" value="|X-CSRFToken": ")[^"]+"', r'"\1token"', html)


def _board(client) -> str:
    """GET /board in an app context of its own, as every real request has (its own `g`)."""
    with client.application.app_context():
        response = client.get("/board")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _count_card_renders(client, monkeypatch) -> list[None]:
    """Count the renders of the card template (one entry per render). The Jinja
    environment keeps one Template object per name, the one the board's kit renders."""
    template = client.application.jinja_env.get_template("board/_card.html")
    renders: list[None] = []
    render = template.render

    def counting(*args, **kwargs):
        renders.append(None)
        return render(*args, **kwargs)

    monkeypatch.setattr(template, "render", counting)
    return renders


def test_a_second_view_shows_the_same_board(client, login_as, add_registrations, monkeypatch):
    login_as("admin")
    add_registrations(40)
    renders = _count_card_renders(client, monkeypatch)
    first = _board(client)
    assert len(renders) == 40
    renders.clear()
    assert _without_tokens(_board(client)) == _without_tokens(first)
    assert len(renders) == 0  # every card from the cache


def test_the_board_with_and_without_the_cache_is_the_same_page(client, login_as, add_registrations, make_app):
    user = login_as("admin")
    add_registrations(30)
    uncached = make_app(BOARD_CARD_CACHE_SIZE=0)
    assert "board_card_cache" not in uncached.extensions
    other = uncached.test_client()
    log_in(other, user)
    _board(client)  # fill the cache
    cached_html = _board(client)
    uncached_html = _board(other)
    for html in (cached_html, uncached_html):
        assert len(_tokens(html)) == 1
    assert _without_tokens(cached_html) == _without_tokens(uncached_html)


def test_a_changed_registration_is_shown_changed_on_the_next_view(client, login_as, make_registration, make_user):
    viewer = login_as("admin")
    registration, _token = make_registration(employer_name="Bakkerij Van Dam")
    before = _card(_board(client), registration.id)
    assert "Niet toegewezen" in before and "Wacht op salarisverwerker" not in before

    colleague = make_user("asr", name="Sanne de Vries")
    with transaction():
        workflow.assign(registration, viewer, colleague)
    assigned = _card(_board(client), registration.id)
    assert "Sanne de Vries" in assigned and "Niet toegewezen" not in assigned

    with transaction():
        workflow.set_waiting(registration, viewer, "Rechten ontbreken", ["right_hrm"])
    waiting = _card(_board(client), registration.id)
    assert "Wacht op salarisverwerker" in waiting and "Salarisverwerker aan zet" in waiting

    # A renamed colleague is not a change of the registration: the card shows the new name all the same.
    colleague.name = "Sanne Jansen"
    db.session.commit()
    assert "Sanne Jansen" in _card(_board(client), registration.id)


def test_a_logged_contact_with_a_passed_follow_up_shows_on_the_next_view(client, login_as, make_registration):
    from datetime import timedelta

    from caseapp.dates import today_local, utcnow

    viewer = login_as("keylane")
    registration, _token = make_registration(step="setup")
    assert "Opvolgen sinds" not in _card(_board(client), registration.id)
    registration = db.session.get(Registration, registration.id)
    with transaction():
        add_contact(registration, viewer, expected_version=None, values={
            "occurred_at": utcnow() - timedelta(days=3),
            "channel": "phone",
            "with_whom": "Salarisbureau Noord",
            "summary": "Gebeld over de rechten.",
            "follow_up_date": today_local() - timedelta(days=1),
        })
    assert "Opvolgen sinds" in _card(_board(client), registration.id)


def test_cached_cards_carry_each_sessions_own_csrf_token(app, client, make_user, add_registrations):
    add_registrations(20, steps=("received",), assignee_id=None)
    ids = add_registrations(5, steps=("received",), waiting_since=None, waiting_reason=None)
    first, second = make_user("asr"), make_user("asr")
    for registration_id in ids:
        db.session.get(Registration, registration_id).assignee_id = first.id
    db.session.commit()
    other = app.test_client()
    log_in(client, first)
    log_in(other, second)
    mine = column_html(_board(client), "received")
    theirs = column_html(_board(other), "received")
    assert len(_tokens(mine)) == len(_tokens(theirs)) == 1
    assert _tokens(mine) != _tokens(theirs)


def test_text_on_a_card_that_looks_like_the_token_placeholder_stays_as_typed(client, login_as, make_registration):
    from caseapp.board.kit import CSRF_PLACEHOLDER

    viewer = login_as("asr")
    registration, _token = make_registration(employer_name=f"Werkgever {CSRF_PLACEHOLDER}")
    with transaction():
        workflow.assign(registration, viewer, viewer)  # so the card has its "Naar Polisgegevens" form
    for _ in range(2):  # rendered, then from the cache
        card = _card(_board(client), registration.id)
        assert f"Werkgever {CSRF_PLACEHOLDER}" in card
        assert len(_tokens(card)) == 1 and CSRF_PLACEHOLDER not in _tokens(card).pop()
