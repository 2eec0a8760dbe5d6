"""/admin/outbox: where an administrator reads e-mail, sees failures and resends."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseapp.dates import utcnow
from caseapp.extensions import db
from caseapp.models import OutboxMessage
from tests.factories import log_in


@pytest.fixture()
def admin(client, make_user):
    user = make_user(role="admin")
    log_in(client, user)
    return user


def add_message(**fields) -> OutboxMessage:
    values = dict(kind="test", recipient="loket@salarisnoord.nl", subject="Onderwerp", body_text="Tekst",
                  body_html="<p>Tekst</p>", message_id=f"<test-{uuid.uuid4().hex}@example.nl>",
                  status="queued", attempts=0, next_attempt_at=utcnow())
    values.update(fields)
    message = OutboxMessage(**values)
    db.session.add(message)
    db.session.commit()
    return message


def fresh(message: OutboxMessage) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


def test_without_smtp_the_submission_email_can_be_read_in_the_app(client, admin, make_registration):
    registration, token = make_registration(employer_name="Bakkerij Van Dam")

    listing = client.get("/admin/outbox")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    assert "Er is geen mailserver ingesteld" in page
    assert f"Aanmelding ontvangen: Bakkerij Van Dam ({registration.reference})" in page
    assert f"Nieuwe aanmelding: Bakkerij Van Dam ({registration.reference})" in page
    assert "In wachtrij" in page

    confirmation = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "submission_received"))
    detail = client.get(f"/admin/outbox/{confirmation.id}").get_data(as_text=True)
    assert f"/status/{token}" in detail  # the administrator can pass the link on
    assert registration.reference in detail and "loket@salarisnoord.nl" in detail


def test_the_list_shows_status_attempts_and_last_error_and_filters_by_status(client, admin):
    add_message(subject="Mislukt bericht", status="failed", attempts=8, last_error="SMTP 550: geweigerd")
    add_message(subject="Verzonden bericht", status="sent", attempts=1, sent_at=utcnow())

    page = client.get("/admin/outbox").get_data(as_text=True)
    row = re.search(r"<tr>(?:(?!</tr>).)*Mislukt bericht.*?</tr>", page, re.S).group(0)
    assert "Mislukt" in row and ">8<" in row and "SMTP 550: geweigerd" in row
    assert "Mislukt (1)" in page and "Verzonden (1)" in page and "Alle (2)" in page

    response = client.get("/admin/outbox?status=failed")
    assert response.status_code == 200
    failed_only = response.get_data(as_text=True)
    assert "Mislukt bericht" in failed_only and "Verzonden bericht" not in failed_only
    assert re.search(r'<a href="/admin/outbox\?status=failed" aria-current="page"', failed_only)


def test_an_htmx_filter_request_gets_only_the_list(client, admin):
    add_message(subject="Mislukt bericht", status="failed", attempts=8)
    response = client.get("/admin/outbox?status=failed", headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="outbox-messages">')
    assert "<html" not in fragment and "Mislukt bericht" in fragment
    assert re.search(r'<a href="/admin/outbox\?status=failed" aria-current="page"', fragment)


def test_a_message_shows_its_text_and_its_html_escaped(client, admin):
    message = add_message(body_text="Hallo <b>daar</b>", body_html='<p onclick="x()">Hallo</p><script>alert(1)</script>')
    page = client.get(f"/admin/outbox/{message.id}").get_data(as_text=True)

    assert "Hallo &lt;b&gt;daar&lt;/b&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page and 'onclick="x()"' not in page


def test_an_unknown_message_is_404(client, admin):
    assert client.get("/admin/outbox/999999").status_code == 404


def test_resending_a_failed_message_queues_it_again_with_fresh_attempts(client, admin):
    message = add_message(status="failed", attempts=8, last_error="SMTP 550: geweigerd",
                          next_attempt_at=utcnow() - timedelta(hours=3))
    response = client.post(f"/admin/outbox/{message.id}/resend")

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/outbox/{message.id}")
    message = fresh(message)
    assert (message.status, message.attempts) == ("queued", 0)
    assert message.next_attempt_at <= utcnow()
    assert "staat weer in de wachtrij" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_resending_a_sent_message_queues_a_copy_and_keeps_the_original(client, admin):
    original = add_message(status="sent", attempts=1, sent_at=utcnow())
    response = client.post(f"/admin/outbox/{original.id}/resend")

    assert response.status_code == 303
    copy = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.id != original.id))
    assert response.headers["Location"].endswith(f"/admin/outbox/{copy.id}")
    assert (copy.status, copy.attempts, copy.subject, copy.body_text) == ("queued", 0, "Onderwerp", "Tekst")
    assert copy.message_id != original.message_id
    assert fresh(original).status == "sent"


def test_a_message_a_sender_is_delivering_right_now_is_not_requeued(client, admin):
    message = add_message(attempts=2, claim_token="sender", next_attempt_at=utcnow() + timedelta(minutes=5))
    response = client.post(f"/admin/outbox/{message.id}/resend")

    assert response.status_code == 303
    message = fresh(message)
    assert (message.claim_token, message.attempts) == ("sender", 2)
    assert "wordt op dit moment verzonden" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_resend_is_a_post_with_a_form_that_works_without_javascript(client, admin):
    message = add_message(status="failed", attempts=8)
    page = client.get(f"/admin/outbox/{message.id}").get_data(as_text=True)
    assert f'<form method="post" action="/admin/outbox/{message.id}/resend"' in page
    assert client.get(f"/admin/outbox/{message.id}/resend").status_code == 405


def test_resending_a_sent_message_twice_queues_one_copy(client, admin):
    original = add_message(status="sent", attempts=1, sent_at=utcnow())
    first = client.post(f"/admin/outbox/{original.id}/resend")
    second = client.post(f"/admin/outbox/{original.id}/resend")  # a double click, or a colleague

    copies = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id != original.id)).all()
    assert len(copies) == 1 and copies[0].status == "queued"
    assert first.headers["Location"] == second.headers["Location"]
    assert second.headers["Location"].endswith(f"/admin/outbox/{copies[0].id}")


def test_a_copy_that_went_out_can_be_resent_again(client, admin):
    original = add_message(status="sent", attempts=1, sent_at=utcnow())
    client.post(f"/admin/outbox/{original.id}/resend")
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id != original.id)
                       .values(status="sent", sent_at=utcnow()))
    db.session.commit()
    client.post(f"/admin/outbox/{original.id}/resend")
    statuses = db.session.scalars(sa.select(OutboxMessage.status).order_by(OutboxMessage.id)).all()
    assert statuses == ["sent", "sent", "queued"]


def test_simultaneous_resends_of_a_sent_message_queue_one_copy(make_app, is_postgres, make_user):
    """Two administrators (or two servers) at the same moment: one copy, not two."""
    from caseapp.outbox import queue
    from tests.production.servers import run_together

    if not is_postgres:
        pytest.skip("several processes resending at once need PostgreSQL (set TEST_DATABASE_URL)")
    original_id = add_message(status="sent", attempts=1, sent_at=utcnow()).id
    workers = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 6, "max_overflow": 0})

    def connect(_n):
        with workers.app_context():
            db.session.execute(sa.text("SELECT 1"))
            db.session.remove()

    def resend(_n):
        with workers.app_context():
            try:
                queued = queue.resend(db.session.get(OutboxMessage, original_id))
                db.session.commit()
                return queued.id
            finally:
                db.session.remove()

    answers = run_together(resend, list(range(6)), prepare=connect)
    copies = db.session.scalars(sa.select(OutboxMessage.id).where(OutboxMessage.id != original_id)).all()
    assert len(copies) == 1 and set(answers) == set(copies)


def test_the_menu_leads_an_administrator_to_the_outbox_and_nobody_else(client, admin, make_user):
    menu = re.search(r'<nav class="site-nav".*?</nav>', client.get("/board").get_data(as_text=True), re.S).group(0)
    assert '<a href="/admin/outbox">Uitgaande e-mail</a>' in menu

    client.post("/logout")
    log_in(client, make_user(role="asr"))
    assert "/admin/outbox" not in client.get("/board").get_data(as_text=True)
