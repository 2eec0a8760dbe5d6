"""The processor answers the team's request on the status page: POST /status/<token>/answer
(`answer` done | question, `comment`, optional `attachment`), as a browser without JavaScript
sends it (multipart)."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from caseapp import workflow
from caseapp.changes import transaction
from caseapp.extensions import db
from caseapp.intake import service as intake_service
from caseapp.models import Attachment, Event, OutboxMessage, ProcessorRequest, Registration
from caseapp.validators import ATTACHMENT_MAX_BYTES
from tests.factories import PDF, PNG, ask_processor


@pytest.fixture()
def waiting(make_registration, make_staff):
    """A registration in setup on which Keylane asked the processor for two things; (registration id, token)."""
    registration, token = make_registration(step="setup")
    keylane = make_staff("keylane", name="Kees Jansen")
    ask_processor(registration.id, keylane, items=("right_hrm", "standard_user"),
                  message="Wilt u het recht toekennen?\nEn de gebruiker omzetten.")
    return registration.id, token


def post_answer(client, token, answer="done", comment="", attachment=None, **fields):
    """The form as a browser posts it: multipart, with or without a file (`attachment`: (name, bytes))."""
    data = {"answer": answer, "comment": comment, **fields}
    if attachment is not None:
        data["attachment"] = FileStorage(io.BytesIO(attachment[1]), attachment[0], content_type="image/png")
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(data)
    return client.post(f"/status/{token}/answer", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def text(response) -> str:
    html = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.replace("&#39;", "'").replace("&amp;", "&").split())


def stored(registration_id):
    """(the registration, its requests newest first, its events' kinds) as stored now."""
    db.session.expire_all()
    registration = db.session.get(Registration, registration_id)
    requests = db.session.scalars(sa.select(ProcessorRequest).where(ProcessorRequest.registration_id == registration_id)
                                  .order_by(ProcessorRequest.id.desc())).all()
    kinds = db.session.scalars(sa.select(Event.kind).where(Event.registration_id == registration_id)
                               .order_by(Event.id)).all()
    return registration, requests, kinds


def assert_nothing_stored(registration_id, before_kinds):
    registration, requests, kinds = stored(registration_id)
    assert registration.is_waiting and requests[0].is_open and requests[0].answer is None
    assert kinds == before_kinds
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


def test_the_status_page_shows_the_open_request_item_by_item_with_what_to_do_in_loket(client, waiting):
    _rid, token = waiting
    page = text(client.get(f"/status/{token}"))
    assert "Wij wachten op u" in page and "Verzoek van Keylane" in page
    assert "Wilt u het recht toekennen?" in page
    # Each item with its instruction; rights with the Loket.nl helpdesk and what it needs.
    assert "Nieuwe standaardgebruiker in Loket.nl" in page and "niet ‘webservicegebruiker’" in page
    assert "Raadplegen HRM" in page and "Het recht ‘Raadplegen HRM’ ontbreekt" in page
    assert "api@loket.nl" in page and "Werkgever ID van de werkgever" in page
    assert "Handleiding REST API koppeling" in page
    # One form, to answer: done or a question, a comment, a file.
    html = client.get(f"/status/{token}").get_data(as_text=True)
    assert html.count("<form") == 2 and html.count('id="answer-form"') == 1  # and the withdrawal's
    assert 'enctype="multipart/form-data"' in html and f'action="/status/{token}/answer"' in html
    for name in ('name="answer" value="done"', 'name="answer" value="question"', 'name="comment"',
                 'name="attachment"', 'name="csrf_token"'):
        assert name in html
    assert "U: wij wachten op uw antwoord" in page  # who acts now


def test_without_a_request_the_status_page_has_no_answer_form(client, make_registration):
    _registration, token = make_registration()
    html = client.get(f"/status/{token}").get_data(as_text=True)
    assert 'id="answer-form"' not in html and "Wij wachten op u" not in html


def test_done_with_a_comment_and_a_png_closes_the_request_and_gives_the_ball_back(client, waiting):
    rid, token = waiting
    response = post_answer(client, token, "done", "Rechten staan goed.", ("rechten.png", PNG))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/status/{token}")

    registration, [request], kinds = stored(rid)
    assert not request.is_open and request.answer == "done" and request.answer_comment == "Rechten staan goed."
    assert request.answered_at == request.closed_at
    assert not registration.is_waiting and registration.waiting_reason is None
    assert workflow.ball_party(registration) == "keylane"
    assert registration.ball_since == request.answered_at == registration.answer_received_at
    assert kinds[-1] == "request_answered"
    attachment = db.session.scalar(sa.select(Attachment))
    assert (attachment.filename, attachment.content_type, attachment.size) == ("rechten.png", "image/png", len(PNG))
    assert attachment.data == PNG

    page = text(client.get(response.headers["Location"]))
    assert "Bedankt, uw antwoord is ontvangen." in page and "Uw antwoord is ontvangen" in page
    assert "Geregeld" in page and "Rechten staan goed." in page and "Bijlage: rechten.png" in page
    assert "Wij wachten op u" not in page and 'id="answer-form"' not in client.get(f"/status/{token}").get_data(as_text=True)


def test_a_question_without_a_comment_is_refused_with_the_form_and_the_values_kept(client, waiting):
    rid, token = waiting
    before = stored(rid)[2]
    response = post_answer(client, token, "question", "   ")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<title>Fout:" in html and 'class="error-summary"' in html
    assert '<a href="#comment">Schrijf uw vraag op' in html
    assert re.search(r'value="question"\s+checked', html)
    assert response.headers["Cache-Control"] == "no-store" and response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert_nothing_stored(rid, before)


@pytest.mark.parametrize("fields, message", [
    ({"answer": ""}, "Kies ‘Geregeld’ of ‘Ik heb een vraag’."),
    ({"answer": "misschien"}, "Kies ‘Geregeld’ of ‘Ik heb een vraag’."),
    ({"answer": "done", "comment": "x" * 2001}, "Uw toelichting is hoogstens 2000 tekens lang."),
])
def test_bad_answers_are_refused_in_dutch_and_nothing_is_stored(client, waiting, fields, message):
    rid, token = waiting
    before = stored(rid)[2]
    response = post_answer(client, token, **fields)
    assert response.status_code == 422 and message in text(response)
    assert_nothing_stored(rid, before)


@pytest.mark.parametrize("filename, content, message", [
    ("scherm.png", b"GIF89a" + b"0" * 100, "geen PNG-, JPEG- of PDF-bestand"),  # a .png that is not a PNG
    ("scherm.png", b"<html><script>alert(1)</script></html>", "geen PNG-, JPEG- of PDF-bestand"),
    ("leeg.png", b"", "De bijlage is leeg"),
    ("groot.png", PNG[:8] + b"0" * (ATTACHMENT_MAX_BYTES + 1 - 8), "groter dan 5 MB"),
])
def test_an_attachment_is_checked_by_what_it_is_and_refused_when_wrong(client, waiting, filename, content, message):
    rid, token = waiting
    before = stored(rid)[2]
    response = post_answer(client, token, "done", "", (filename, content))
    assert response.status_code == 422
    assert message in text(response) and '<a href="#attachment">' in response.get_data(as_text=True)
    assert_nothing_stored(rid, before)


@pytest.mark.parametrize("filename, content, stored_as", [
    ("../../uploads/rechten.txt", PDF, ("rechten.pdf", "application/pdf")),
    ("foto.png", b"\xff\xd8\xff\xe0" + b"0" * 100, ("foto.jpg", "image/jpeg")),
    (".png", PNG, ("bijlage.png", "image/png")),
])
def test_a_pdf_or_a_jpeg_by_any_name_is_stored_with_the_name_of_what_it_is(client, waiting, filename, content,
                                                                          stored_as):
    _rid, token = waiting
    assert post_answer(client, token, "done", "", (filename, content)).status_code == 303
    attachment = db.session.scalar(sa.select(Attachment))
    assert (attachment.filename, attachment.content_type) == stored_as


def test_a_request_body_above_the_limit_gets_a_dutch_413_and_nothing_is_stored(client, waiting):
    rid, token = waiting
    before = stored(rid)[2]
    response = post_answer(client, token, "done", "", ("groot.png", PNG[:8] + b"0" * (6 * 1024 * 1024)))
    assert response.status_code == 413
    page = text(response)
    assert "Het bestand is te groot om te versturen" in page and "Wij wachten op u" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert_nothing_stored(rid, before)


@pytest.mark.parametrize("says_which", [True, False], ids=["with-request-id", "without"])
def test_a_double_submit_stores_one_answer_and_says_so(client, waiting, says_which):
    rid, token = waiting
    assert post_answer(client, token, "done", "Klaar.", ("rechten.png", PNG)).status_code == 303
    _registration, requests, kinds = stored(rid)
    mails = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))

    which = {"request_id": str(requests[0].id)} if says_which else {}
    again = post_answer(client, token, "done", "Klaar.", ("rechten.png", PNG), **which)
    assert again.status_code == 303
    assert "Uw antwoord was al ontvangen" in text(client.get(again.headers["Location"]))
    assert stored(rid)[2] == kinds
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == mails


def test_an_answer_to_a_request_closed_in_the_meantime_is_refused_and_nothing_is_stored(client, waiting, make_staff):
    rid, token = waiting
    open_page = client.get(f"/status/{token}").get_data(as_text=True)
    request_id = re.search(r'name="request_id" value="(\d+)"', open_page).group(1)
    # The team stops waiting while the processor still has the page open in another tab.
    with transaction():
        workflow.clear_waiting(db.session.get(Registration, rid), make_staff("keylane"))
    before = stored(rid)[2]

    response = post_answer(client, token, "question", "Welk recht bedoelt u?", request_id=request_id)
    assert response.status_code == 409
    assert "Er staat geen verzoek meer open" in text(response) and "Uw antwoord is niet opgeslagen" in text(response)
    registration, [request], kinds = stored(rid)
    assert request.answer is None and kinds == before and not registration.is_waiting


def test_an_answer_to_an_older_request_is_not_given_to_the_new_one(client, waiting, make_staff):
    rid, token = waiting
    old_id = stored(rid)[1][0].id
    assert post_answer(client, token, "done", "Klaar.").status_code == 303
    keylane = make_staff("keylane")
    with transaction():
        workflow.reopen_request(db.session.get(Registration, rid), keylane)
    before = stored(rid)[2]

    response = post_answer(client, token, "question", "Nog een vraag", request_id=str(old_id))
    assert response.status_code == 409 and "vervangen door een nieuw verzoek" in text(response)
    _registration, [new, old], kinds = stored(rid)
    assert new.is_open and new.answer is None and old.answer_comment == "Klaar." and kinds == before
    # The form now answers the new request, with what was typed kept.
    assert f'name="request_id" value="{new.id}"' in response.get_data(as_text=True)
    assert "Nog een vraag" in response.get_data(as_text=True)


def test_a_withdrawn_registration_takes_no_answer(client, waiting, make_staff):
    rid, token = waiting
    with transaction():
        workflow.withdraw(db.session.get(Registration, rid), make_staff("asr"), "Werkgever stopt")
    before = stored(rid)[2]
    assert "<form" not in client.get(f"/status/{token}").get_data(as_text=True)
    response = post_answer(client, token, "done")
    assert response.status_code == 422 and "ingetrokken" in text(response)
    assert stored(rid)[2] == before


def test_an_unknown_token_is_a_plain_404_for_the_answer_too(client):
    response = post_answer(client, "not-a-real-token", "done")
    assert response.status_code == 404 and response.mimetype == "text/plain"


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_the_answer_form_is_csrf_protected(client, waiting):
    rid, token = waiting
    before = stored(rid)[2]
    assert post_answer(client, token, "done").status_code == 400
    assert_nothing_stored(rid, before)
    page = client.get(f"/status/{token}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert post_answer(client, token, "done", csrf_token=csrf).status_code == 303
    assert not stored(rid)[0].is_waiting


def test_two_identical_answers_at_the_same_moment_store_one(client, waiting, monkeypatch):
    """The second of two simultaneous submits reads the request while it is still open; the
    first commits before the second writes. The second loses on the registration's version,
    tries again, and finds the answer already received: one answer, no error."""
    rid, token = waiting
    request_id = stored(rid)[1][0].id
    real_find = workflow._find_request

    def first_submit_commits(connection):
        connection.execute(sa.update(ProcessorRequest).where(ProcessorRequest.id == request_id).values(
            answer="done", answer_comment="Klaar.", closed_at=sa.func.current_timestamp(),
            answered_at=sa.func.current_timestamp()))
        connection.execute(sa.update(Registration).where(Registration.id == rid).values(
            version=Registration.version + 1, waiting_since=None, waiting_reason=None))

    def find_then_lose(registration, open_only=False, request_id=None):
        found = real_find(registration, open_only=open_only, request_id=request_id)
        if open_only and found is not None:
            monkeypatch.setattr(workflow, "_find_request", real_find)  # only the first time
            with db.engine.begin() as connection:
                first_submit_commits(connection)
        return found

    loads = []
    real_load = intake_service.find_by_token
    monkeypatch.setattr(intake_service, "find_by_token", lambda *a, **k: loads.append(a) or real_load(*a, **k))
    monkeypatch.setattr(workflow, "_find_request", find_then_lose)
    before = stored(rid)[2]
    response = post_answer(client, token, "done", "Klaar.")
    assert response.status_code == 303
    assert len(loads) == 3  # the page's load, the attempt that lost the race, the one that found the answer
    assert "Uw antwoord was al ontvangen" in text(client.get(response.headers["Location"]))
    _registration, [request], kinds = stored(rid)
    assert request.answer_comment == "Klaar." and kinds == before  # the rival wrote no event; nor did we
