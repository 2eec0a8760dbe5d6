"""The processor withdraws the registration on the status page: POST /status/<token>/intrekken
with `reason` shows "Weet u het zeker?"; its form posts again with `confirm=yes`, which withdraws."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import g

from caseapp.extensions import db
from caseapp.models import Event, OutboxMessage, Registration
from tests.intake.test_answers import text


def withdraw(client, token, reason="De werkgever stopt met de regeling.", confirm=True, **fields):
    data = {"reason": reason, **fields}
    if confirm:
        data["confirm"] = "yes"
    return client.post(f"/status/{token}/intrekken", data=data)


def stored(registration_id):
    db.session.expire_all()
    registration = db.session.get(Registration, registration_id)
    events = db.session.scalars(sa.select(Event).where(Event.registration_id == registration_id).order_by(Event.id)).all()
    mails = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return registration, events, mails


def test_the_status_page_offers_withdrawal_and_asks_for_confirmation_first(client, make_registration):
    registration, token = make_registration(step="policy")
    page = client.get(f"/status/{token}")
    assert "Aanmelding intrekken" in text(page) and f'action="/status/{token}/intrekken"' in page.get_data(as_text=True)
    before = stored(registration.id)

    asked = withdraw(client, token, "Dubbel aangemeld.", confirm=False)
    assert asked.status_code == 200 and "Weet u het zeker?" in text(asked) and "Dubbel aangemeld." in text(asked)
    assert asked.headers["Cache-Control"] == "no-store" and asked.headers["Referrer-Policy"] == "no-referrer"
    html = asked.get_data(as_text=True)
    assert 'name="confirm" value="yes"' in html and 'name="reason" value="Dubbel aangemeld."' in html
    after = stored(registration.id)
    assert not after[0].is_withdrawn and len(after[1]) == len(before[1]) and len(after[2]) == len(before[2])


def test_the_processor_withdraws_with_a_reason_and_staff_can_reopen(app, client, make_registration, login_as):
    registration, token = make_registration(step="setup")
    rid = registration.id
    mails_before = len(stored(rid)[2])

    response = withdraw(client, token, "De werkgever stopt met de regeling.")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/status/{token}")
    page = text(client.get(response.headers["Location"]))
    assert "Uw aanmelding is ingetrokken" in page and "Deze aanmelding is ingetrokken" in page
    assert "Reden: De werkgever stopt met de regeling." in page
    assert 'id="withdraw-form"' not in page

    registration, events, mails = stored(rid)
    assert registration.is_withdrawn and registration.withdrawn_reason == "De werkgever stopt met de regeling."
    assert registration.ball_since is None
    last = events[-1]
    assert last.kind == "withdrawn" and last.actor_label == "processor" and last.actor_id is None
    assert last.data["reason"] == "De werkgever stopt met de regeling." and last.data["step"] == "setup"
    new = mails[mails_before:]
    assert sorted(m.recipient for m in new) == sorted([registration.processor_email, app.config["KEYLANE_MAILBOX"]])

    login_as("asr")
    g.pop("_login_user", None)  # the processor's anonymous user of the last request, kept on the test's g
    detail = text(client.get(f"/registrations/{rid}"))
    assert "Aanmelding ingetrokken" in detail and "salarisverwerker" in detail
    reopened = client.post(f"/registrations/{rid}/reopen", data={"version": str(registration.version)})
    assert reopened.status_code == 303
    assert not stored(rid)[0].is_withdrawn


@pytest.mark.parametrize("reason, message", [
    ("", "Geef een reden voor het intrekken."),
    ("   ", "Geef een reden voor het intrekken."),
    ("x" * 501, "De reden is hoogstens 500 tekens lang."),
])
@pytest.mark.parametrize("confirm", [False, True], ids=["ask", "confirm"])
def test_a_withdrawal_without_a_good_reason_is_refused_with_the_form_and_nothing_is_stored(
        client, make_registration, reason, message, confirm):
    registration, token = make_registration()
    before = stored(registration.id)
    response = withdraw(client, token, reason, confirm=confirm)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in text(response) and 'href="#reason"' in body and "<title>Fout:" in body
    assert 'aria-invalid="true"' in body
    if reason.strip():
        assert reason in body  # the value is kept
    after = stored(registration.id)
    assert not after[0].is_withdrawn and len(after[1]) == len(before[1]) and len(after[2]) == len(before[2])


@pytest.mark.parametrize("confirm", [False, True], ids=["ask", "confirm"])
def test_a_live_registration_cannot_be_withdrawn_by_the_processor(client, make_registration, confirm):
    registration, token = make_registration(step="live")
    assert 'id="withdraw-form"' not in client.get(f"/status/{token}").get_data(as_text=True)
    before = stored(registration.id)
    response = withdraw(client, token, confirm=confirm)
    assert response.status_code == 422 and "live is kan niet meer worden ingetrokken" in text(response)
    after = stored(registration.id)
    assert not after[0].is_withdrawn and len(after[1]) == len(before[1]) and len(after[2]) == len(before[2])


def test_a_double_submit_withdraws_once_and_says_so(client, make_registration):
    registration, token = make_registration()
    assert withdraw(client, token).status_code == 303
    first = stored(registration.id)
    again = withdraw(client, token)
    assert again.status_code == 303
    assert "al ingetrokken" in text(client.get(again.headers["Location"]))
    after = stored(registration.id)
    assert len(after[1]) == len(first[1]) and len(after[2]) == len(first[2])


def test_an_unknown_token_is_a_plain_404_for_the_withdrawal_too(client):
    response = withdraw(client, "not-a-real-token")
    assert response.status_code == 404 and response.mimetype == "text/plain"


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_the_withdrawal_is_csrf_protected(client, make_registration):
    registration, token = make_registration()
    assert withdraw(client, token).status_code == 400
    assert not stored(registration.id)[0].is_withdrawn
    page = client.get(f"/status/{token}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert withdraw(client, token, csrf_token=csrf).status_code == 303
    assert stored(registration.id)[0].is_withdrawn
