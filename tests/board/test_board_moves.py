"""Moving cards: the same rules as the workflow, as plain forms and with HTMX."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from caseapp.dates import today_local
from caseapp.extensions import db
from caseapp.models import Event, PolicyRecord, Registration

from .conftest import HTMX_PARTIAL, card_ids, column_count, column_html


def _move(client, registration, direction="next", htmx=True, board="", **extra):
    data = {
        "registration_id": registration.id,
        "direction": direction,
        "version": registration.version,
        "board": board,
        **extra,
    }
    return client.post("/board/move", data=data, headers=HTMX_PARTIAL if htmx else {})


def _step(registration_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Registration, registration_id).step


def _step_events(registration_id: int) -> list[Event]:
    return list(
        db.session.scalars(
            sa.select(Event).where(Event.registration_id == registration_id, Event.kind == "step_changed")
        )
    )


@pytest.fixture()
def assigned(make_registration):
    """A new registration someone has picked up: ready to move to `policy`."""

    def _make(user, **overrides):
        registration, _ = make_registration(**overrides)
        registration.assignee_id = user.id
        db.session.commit()
        return registration

    return _make


def test_ready_card_has_a_move_button_that_posts_the_move(client, login_as, assigned):
    user = login_as("asr")
    registration = assigned(user)
    card = column_html(client.get("/board").get_data(as_text=True), "received")
    assert 'action="/board/move"' in card and 'method="post"' in card
    assert f'name="version" value="{registration.version}"' in card
    assert "Naar Polisgegevens" in card


def test_htmx_move_rerenders_both_columns_and_records_an_event(client, login_as, assigned):
    user = login_as("asr")
    registration = assigned(user)
    response = _move(client, registration)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _step(registration.id) == "policy"
    assert '<hx-partial hx-target="#column-received" hx-swap="outerHTML">' in body
    assert '<hx-partial hx-target="#column-policy" hx-swap="outerHTML">' in body
    assert 'id="column-setup"' not in body  # only the two columns involved
    assert column_count(body, "received") == 0 and card_ids(column_html(body, "policy")) == [registration.id]
    assert f"{registration.reference} staat nu in Polisgegevens." in body
    assert f'id="card-{registration.id}-link" href="/registrations/{registration.id}" data-board-focus' in body
    [event] = _step_events(registration.id)
    assert event.data["from"] == "received" and event.data["to"] == "policy" and event.actor_id == user.id


def test_plain_move_redirects_to_the_board_with_filters_and_a_notice(client, login_as, assigned):
    user = login_as("asr")
    registration = assigned(user)
    response = _move(client, registration, htmx=False, board="q=werkgever&mine=1")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/board?q=werkgever&mine=1#card-{registration.id}"
    assert _step(registration.id) == "policy"
    page = client.get("/board?q=werkgever&mine=1").get_data(as_text=True)
    assert f"{registration.reference} staat nu in Polisgegevens." in page


def test_refused_guard_shows_its_message_in_place_with_htmx(client, login_as, make_registration):
    login_as("asr")
    registration, _ = make_registration()  # nobody has picked it up
    response = _move(client, registration)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Iemand moet de aanmelding eerst oppakken (toewijzen)." in body
    assert "<hx-partial" not in body and "<html" not in body
    assert _step(registration.id) == "received"
    assert _step_events(registration.id) == []


def test_refused_guard_without_javascript_returns_to_the_board_with_the_message(client, login_as, make_registration):
    login_as("asr")
    registration, _ = make_registration()
    response = _move(client, registration, htmx=False, board="team=asr")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/board?team=asr#card-{registration.id}"
    page = client.get("/board?team=asr").get_data(as_text=True)
    assert "Iemand moet de aanmelding eerst oppakken (toewijzen)." in page
    assert _step(registration.id) == "received"


def test_card_whose_guard_is_not_met_leads_to_a_confirmation_listing_what_is_missing(client, login_as, make_registration):
    user = login_as("asr")
    registration, _ = make_registration(step="policy")
    registration.assignee_id = user.id
    db.session.commit()
    card = column_html(client.get("/board").get_data(as_text=True), "policy")
    url = f"/board/move/{registration.id}?direction=next"
    assert f'href="{url}"' in card and f'hx-get="{url}"' in card
    assert "nog 2 punten" in card
    assert 'action="/board/move"' not in card  # no blind POST button

    panel = client.get(url, headers=HTMX_PARTIAL)
    body = panel.get_data(as_text=True)
    assert panel.status_code == 200 and "<html" not in body
    assert "Voeg minstens één volledige polis toe" in body
    assert "Vink aan dat de aanmeldgegevens zijn gecontroleerd." in body
    assert f'hx-target="#card-{registration.id}-message"' in body

    page = client.get(url).get_data(as_text=True)
    assert "<html" in page and "Voeg minstens één volledige polis toe" in page and "hx-post" not in page


def test_confirmation_without_open_points_offers_the_move(client, login_as, make_registration):
    user = login_as("asr")
    registration, _ = make_registration(step="policy")
    registration.assignee_id = user.id
    registration.intake_checked = True
    db.session.add(PolicyRecord(registration=registration, policy_number="PP-1", scheme="Pensioen",
                                start_date=date(2026, 1, 1)))
    db.session.commit()
    body = client.get(f"/board/move/{registration.id}?direction=next").get_data(as_text=True)
    assert "Alles wat deze stap vraagt, is geregeld." in body
    assert _move(client, registration).status_code == 200
    assert _step(registration.id) == "setup"


def test_keylane_confirms_the_first_exchange_from_the_confirmation(client, login_as, make_registration):
    login_as("keylane")
    registration, _ = make_registration(step="realised")
    registration.first_exchange_date = today_local() + timedelta(days=5)
    db.session.commit()
    body = client.get(f"/board/move/{registration.id}?direction=next").get_data(as_text=True)
    assert "De eerste uitwisseling is nog niet geweest." in body
    assert 'name="confirm_first_exchange"' in body

    assert _move(client, registration).status_code == 422
    assert _step(registration.id) == "realised"
    assert _move(client, registration, confirm_first_exchange="1").status_code == 200
    assert _step(registration.id) == "live"


@pytest.mark.parametrize("role, step", [("keylane", "received"), ("keylane", "policy"), ("asr", "setup"), ("asr", "realised")])
def test_other_team_gets_no_move_controls_and_a_403(client, login_as, make_registration, role, step):
    login_as(role)
    registration, _ = make_registration(step=step)
    card = column_html(client.get("/board").get_data(as_text=True), step)
    assert f'id="card-{registration.id}"' in card
    assert "card__action" not in card and "data-next" not in card
    assert client.get(f"/board/move/{registration.id}?direction=back").status_code == 403
    response = _move(client, registration, direction="back", reason="test")
    assert response.status_code == 403
    assert "u kunt hem niet wijzigen" in response.get_data(as_text=True)
    assert _move(client, registration, htmx=False, direction="back", reason="test").status_code == 403
    assert _step(registration.id) == step


def test_admin_may_move_in_every_column(client, login_as, make_registration):
    login_as("admin")
    registration, _ = make_registration(step="setup")
    assert _move(client, registration, direction="back", reason="Polis klopt niet").status_code == 200
    assert _step(registration.id) == "policy"


def test_stale_version_gets_a_409_and_nothing_changes(client, login_as, assigned):
    user = login_as("asr")
    registration = assigned(user)
    response = client.post(
        "/board/move",
        data={"registration_id": registration.id, "direction": "next", "version": registration.version - 1},
        headers=HTMX_PARTIAL,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Iemand anders heeft deze aanmelding intussen gewijzigd." in body
    assert "Overzicht vernieuwen" in body
    assert _step(registration.id) == "received"


def test_stale_version_without_javascript_answers_409_with_the_board_as_it_is_now(client, login_as, assigned):
    user = login_as("asr")
    registration = assigned(user)
    response = client.post(
        "/board/move", data={"registration_id": registration.id, "direction": "next", "version": 99}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Iemand anders heeft deze aanmelding intussen gewijzigd." in body
    assert registration.id in card_ids(column_html(body, "received"))
    assert _step(registration.id) == "received"


def test_back_without_a_reason_is_refused(client, login_as, make_registration):
    login_as("asr")
    registration, _ = make_registration(step="policy")
    response = _move(client, registration, direction="back", reason="   ")
    assert response.status_code == 422
    assert "Geef een reden om een stap terug te gaan." in response.get_data(as_text=True)
    assert _step(registration.id) == "policy"


def test_back_without_a_reason_and_without_javascript_keeps_the_form_with_an_error(client, login_as, make_registration):
    login_as("asr")
    registration, _ = make_registration(step="policy")
    response = _move(client, registration, htmx=False, direction="back", reason="", origin="page")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<title>Fout:" in body and 'class="error-summary"' in body
    assert f'href="#move-{registration.id}-reason"' in body
    assert "Geef een reden om een stap terug te gaan." in body


def test_back_with_a_reason_moves_and_records_the_reason(client, login_as, make_registration):
    user = login_as("asr")
    registration, _ = make_registration(step="policy")
    card = column_html(client.get("/board").get_data(as_text=True), "policy")
    assert f'href="/board/move/{registration.id}?direction=back"' in card
    form = client.get(f"/board/move/{registration.id}?direction=back", headers=HTMX_PARTIAL).get_data(as_text=True)
    assert 'name="reason"' in form and "Waarom gaat" in form

    response = _move(client, registration, direction="back", reason="Werkgever heeft een ander contract")
    assert response.status_code == 200
    assert _step(registration.id) == "received"
    [event] = _step_events(registration.id)
    assert event.data["reason"] == "Werkgever heeft een ander contract"
    assert event.data["direction"] == "back" and event.actor_id == user.id


def test_first_and_last_steps_offer_only_the_possible_direction(client, login_as, make_registration):
    login_as("admin")
    first, _ = make_registration()
    last, _ = make_registration(step="live")
    html = client.get("/board").get_data(as_text=True)
    received = column_html(html, "received")
    live = column_html(html, "live")
    assert "card__action--back" not in received and "card__action--next" in received
    assert "card__action--next" not in live and "card__action--back" in live
    assert client.get(f"/board/move/{first.id}?direction=back").status_code == 400
    assert client.get(f"/board/move/{last.id}?direction=next").status_code == 400


def test_waiting_card_explains_that_the_processor_is_waited_on(client, login_as, assigned):
    from caseapp.dates import utcnow

    user = login_as("asr")
    registration = assigned(user)
    registration.waiting_reason = "Rechten ontbreken"
    registration.waiting_since = utcnow()
    db.session.commit()
    card = column_html(client.get("/board").get_data(as_text=True), "received")
    assert 'action="/board/move"' not in card
    body = client.get(f"/board/move/{registration.id}?direction=next").get_data(as_text=True)
    assert "wacht op de salarisverwerker: Rechten ontbreken" in body
    response = _move(client, registration)
    assert response.status_code == 422
    assert "wacht op de salarisverwerker" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "data",
    [
        {"registration_id": "x", "direction": "next", "version": "1"},
        {"registration_id": "1", "direction": "sideways", "version": "1"},
        {"registration_id": "1", "direction": "next", "version": ""},
    ],
)
def test_malformed_move_is_a_bad_request(client, login_as, data):
    login_as("asr")
    assert client.post("/board/move", data=data).status_code == 400


def test_move_of_an_unknown_registration_is_not_found(client, login_as):
    login_as("asr")
    response = client.post("/board/move", data={"registration_id": "999999", "direction": "next", "version": "1"})
    assert response.status_code == 404


def test_move_keeps_the_columns_of_a_team_filter(client, login_as, make_registration):
    """An a.s.r. filter shows no Keylane columns, so a move into one re-renders only the column left."""
    user = login_as("admin")
    registration, _ = make_registration(step="policy")
    registration.assignee_id = user.id
    registration.intake_checked = True
    db.session.add(PolicyRecord(registration=registration, policy_number="PP-1", scheme="Pensioen",
                                start_date=date(2026, 1, 1)))
    db.session.commit()
    body = _move(client, registration, board="team=asr").get_data(as_text=True)
    assert 'hx-target="#column-policy"' in body and 'hx-target="#column-setup"' not in body
    assert 'id="column-policy-title" tabindex="-1" data-board-focus' in body
