"""Staff ask the processor something: POST /registrations/<id>/waiting with `reason` (the
message), `request_items` (repeatable: prerequisite keys or `other`) and `version`; they see
the answer, download its attachment, and ask the same again when it was not enough."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from flask import g
from sqlalchemy.exc import IntegrityError

from caseapp import workflow
from caseapp.changes import transaction
from caseapp.dates import utcnow
from caseapp.extensions import db
from caseapp.models import Attachment, OutboxMessage, ProcessorRequest, ProcessorRequestItem, Registration
from tests.factories import PNG, ask_processor
from tests.registrations.conftest import events_of, fresh, text_of


def requests_of(rid):
    db.session.expire_all()
    return db.session.scalars(sa.select(ProcessorRequest).where(ProcessorRequest.registration_id == rid)
                              .order_by(ProcessorRequest.id)).all()


def items_of(request):
    return db.session.scalars(sa.select(ProcessorRequestItem.key).where(ProcessorRequestItem.request_id == request.id)
                              .order_by(ProcessorRequestItem.position)).all()


@pytest.fixture()
def answered(make_registration, staff, app):
    """A registration in setup whose processor answered Keylane's request (done, with a PNG); its id."""
    registration, token = make_registration(step="setup")
    ask_processor(registration.id, staff["keylane"], message="Wilt u het recht toekennen?")
    processor_answers(app.test_client(), token)
    return registration.id


def processor_answers(client, token, answer="done", comment="Staat goed.", png=True):
    data = {"answer": answer, "comment": comment}
    if png:
        data["attachment"] = (io.BytesIO(PNG), "rechten.png")
    response = client.post(f"/status/{token}/answer", data=data, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_a_request_with_items_is_stored_behind_the_waiting_flag(desk, staff, make_registration, htmx):
    registration, _token = make_registration(step="setup")
    rid = registration.id
    desk.login(staff["keylane"])
    message = "Wilt u dit regelen?\r\n\r\n- Het recht ‘Raadplegen HRM’ ontbreekt."
    response = desk.post(rid, "waiting", {"reason": message, "request_items": ["right_hrm", "other", "standard_user"]},
                         htmx=htmx)
    assert response.status_code == (200 if htmx else 303)

    [request] = requests_of(rid)
    assert request.is_open and request.message == "Wilt u dit regelen?\n\n- Het recht ‘Raadplegen HRM’ ontbreekt."
    assert items_of(request) == ["standard_user", "right_hrm", "other"]  # in the list's order
    after = fresh(rid)
    assert after.is_waiting and after.waiting_reason == "Wilt u dit regelen? - Het recht ‘Raadplegen HRM’ ontbreekt."
    assert workflow.ball_party(after) == "processor" and after.ball_since == after.waiting_since == request.opened_at
    event = events_of(rid)[-1]
    assert event.kind == "waiting_set" and event.data["items"] == ["standard_user", "right_hrm", "other"]
    page = text_of(desk.client.get(f"/registrations/{rid}"))
    assert "Gevraagd: Nieuwe standaardgebruiker in Loket.nl, Raadplegen HRM, Iets anders" in page


@pytest.mark.parametrize("items, message", [
    (["right_hrm", "rechten_van_de_directeur"], "Onbekend punt ‘rechten_van_de_directeur’"),
    ([], "Kies minstens één punt waarop u wacht"),
])
def test_unknown_or_missing_items_are_refused_in_dutch_and_nothing_is_stored(desk, staff, make_registration, items,
                                                                            message):
    registration, _token = make_registration(step="setup")
    rid = registration.id
    desk.login(staff["keylane"])
    before = fresh(rid).version
    response = desk.post(rid, "waiting", {"reason": "Rechten ontbreken", "request_items": items})
    assert response.status_code == 422 and message in text_of(response)
    # The form comes back as it was sent.
    assert "Rechten ontbreken</textarea>" in response.get_data(as_text=True)
    assert requests_of(rid) == [] and not fresh(rid).is_waiting and fresh(rid).version == before


def test_a_registration_has_at_most_one_open_request(desk, staff, make_registration):
    registration, _token = make_registration(step="setup")
    rid = registration.id
    ask_processor(rid, staff["keylane"])
    desk.login(staff["keylane"])
    response = desk.post(rid, "waiting", {"reason": "Nog iets", "request_items": "other"})
    assert response.status_code == 422 and "er staat één verzoek tegelijk open" in text_of(response)
    assert len(requests_of(rid)) == 1
    # The database refuses a second open request too, whoever writes it.
    db.session.add(ProcessorRequest(registration_id=rid, message="Nog een", opened_at=utcnow()))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # Closed requests may be many.
    db.session.add(ProcessorRequest(registration_id=rid, message="Oud", opened_at=utcnow(), closed_at=utcnow()))
    db.session.commit()
    assert len(requests_of(rid)) == 2


def test_stopping_to_wait_closes_the_request_and_keeps_it(desk, staff, make_registration):
    registration, _token = make_registration(step="setup")
    rid = registration.id
    ask_processor(rid, staff["keylane"])
    desk.login(staff["keylane"])
    assert desk.post(rid, "waiting/clear").status_code == 303
    [request] = requests_of(rid)
    assert not request.is_open and request.answer is None and request.closed_by_id == staff["keylane"].id
    assert items_of(request) == ["standard_user", "right_hrm"]
    assert events_of(rid)[-1].data["request_id"] == request.id


def test_the_answer_shows_in_the_timeline_with_a_staff_link_to_the_attachment(desk, staff, make_registration, app):
    registration, token = make_registration(step="setup")
    rid = registration.id
    ask_processor(rid, staff["keylane"])
    processor_answers(app.test_client(), token, "question", "Welke gebruiker bedoelt u?")
    desk.login(staff["asr"])
    html = desk.client.get(f"/registrations/{rid}").get_data(as_text=True)
    page = text_of(desk.client.get(f"/registrations/{rid}"))
    assert "Antwoord van de salarisverwerker: Ik heb een vraag" in page
    assert "Toelichting: Welke gebruiker bedoelt u?" in page
    attachment_id = db.session.scalar(sa.select(Attachment.id))
    link = f"/registrations/{rid}/attachments/{attachment_id}"
    assert html.count(f'href="{link}"') == 2  # in the waiting section and in the timeline
    assert "Bijlage downloaden: rechten.png" in page and "Antwoord ontvangen" in page


def test_staff_download_the_attachment_and_nobody_else_does(desk, staff, make_registration, app, answered):
    rid = answered
    other, token = make_registration(step="setup")
    processor = app.test_client()
    processor.get(f"/status/{token}")  # a processor with a session of their own
    attachment_id = db.session.scalar(sa.select(Attachment.id))
    url = f"/registrations/{rid}/attachments/{attachment_id}"

    for role in ("asr", "keylane", "admin"):
        desk.login(staff[role])
        response = desk.client.get(url)
        assert response.status_code == 200 and response.data == PNG
        assert response.mimetype == "image/png"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "rechten.png" in response.headers["Content-Disposition"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response.headers["Cache-Control"]
    # Through another registration's URL it is not there.
    assert desk.client.get(f"/registrations/{other.id}/attachments/{attachment_id}").status_code == 404
    # The processor (with the status link, not signed in) and anyone else get the login page, not the file.
    for outsider in (processor, app.test_client()):
        g.pop("_login_user", None)  # the tests share one app context: forget the last request's user
        response = outsider.get(url)
        assert response.status_code in (302, 401, 403) and PNG not in response.data


def test_staff_ask_the_same_again_when_the_answer_was_not_enough(desk, staff, answered):
    rid = answered
    assert fresh(rid).answer_received_at is not None
    mails = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))

    desk.login(staff["keylane"])
    response = desk.post(rid, "waiting/reopen", htmx=True)
    assert response.status_code == 200
    answered, reopened = requests_of(rid)
    assert answered.answer == "done" and not answered.is_open  # the history stays
    assert reopened.is_open and reopened.message == "Wilt u het recht toekennen?"
    assert items_of(reopened) == items_of(answered)
    after = fresh(rid)
    assert after.is_waiting and workflow.ball_party(after) == "processor" and after.answer_received_at is None
    event = events_of(rid)[-1]
    assert (event.kind, event.actor_id, event.data["reopened_from"]) == ("waiting_set", staff["keylane"].id,
                                                                         answered.id)
    assert "Verzoek opnieuw uitgezet" in text_of(desk.client.get(f"/registrations/{rid}"))
    [mail] = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id).offset(mails)).all()
    assert mail.kind == "waiting_on_processor" and mail.recipient == fresh(rid).processor_email
    assert "Uw vorige antwoord was nog niet genoeg" in mail.body_text


def test_there_is_nothing_to_ask_again_without_an_answer(desk, staff, make_registration):
    registration, _token = make_registration(step="setup")
    rid = registration.id
    desk.login(staff["keylane"])
    response = desk.post(rid, "waiting/reopen")
    assert response.status_code == 422 and "Er is geen beantwoord verzoek" in text_of(response)
    assert requests_of(rid) == []
    ask_processor(rid, staff["keylane"])
    response = desk.post(rid, "waiting/reopen")
    assert response.status_code == 422 and "wacht al op de salarisverwerker" in text_of(response)
    assert len(requests_of(rid)) == 1


def test_only_the_team_that_owns_the_step_asks_again(desk, staff, answered):
    rid = answered
    desk.login(staff["asr"])
    assert "/waiting/reopen" not in desk.client.get(f"/registrations/{rid}").get_data(as_text=True)
    assert desk.post(rid, "waiting/reopen").status_code == 403
    assert len(requests_of(rid)) == 1


def test_the_answer_badge_stays_until_staff_act(desk, staff, answered):
    rid = answered
    desk.login(staff["keylane"])
    assert "Antwoord ontvangen" in desk.client.get("/board").get_data(as_text=True)
    desk.client.get(f"/registrations/{rid}")  # reading it is not acting on it
    assert "Antwoord ontvangen" in desk.client.get("/board").get_data(as_text=True)
    assert desk.post(rid, "checks/right_hrm", {"ticked": "1"}, htmx=True).status_code == 200
    assert fresh(rid).answer_received_at is None
    assert "Antwoord ontvangen" not in desk.client.get("/board").get_data(as_text=True)


def test_requests_and_answers_go_through_the_workflow_as_the_ball_replay_sees_them(make_registration, staff):
    """The processor's answer ends the wait as the clocks replay it (caseapp.insight.clocks)."""
    from caseapp.insight.clocks import ball_since_after
    from caseapp.models import Event

    registration, _token = make_registration(step="policy")
    rid = registration.id
    request_id = ask_processor(rid, staff["asr"])
    with transaction():
        workflow.answer_request(db.session.get(Registration, rid), "done", request_id=request_id)
    trail = [tuple(row) for row in db.session.execute(
        sa.select(Event.created_at, Event.kind, Event.data).where(Event.registration_id == rid).order_by(Event.id))]
    after = fresh(rid)
    assert workflow.ball_party(after) == "asr" and after.ball_since == ball_since_after(trail)
