"""Delivery: what happens when the server refuses, is down or hangs; back-off; giving up;
and that e-mail exists only when the change that caused it was committed."""

from __future__ import annotations

import logging
import socket
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from caseapp.dates import utcnow
from caseapp.extensions import db
from caseapp.models import OutboxMessage, Registration
from caseapp.outbox import messages, queue, sender
from tests.mail.support import clear_outbox, mail_settings, outbox


@pytest.fixture()
def registration(make_registration):
    registration, _token = make_registration(employer_name="Bakkerij Van Dam")
    clear_outbox()
    return registration


def queue_withdrawn(registration, count: int = 1) -> list[OutboxMessage]:
    queued = [messages.queue_withdrawn(registration, f"Reden {n}") for n in range(count)]
    db.session.commit()
    return queued


def let_back_off_pass() -> None:
    """Time passes: every queued message is due again."""
    db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.status == "queued").values(next_attempt_at=utcnow())
    )
    db.session.commit()


def test_sent_messages_are_marked_sent_and_not_sent_again(registration, send, smtp_server):
    queue_withdrawn(registration, count=3)
    assert "sent 3" in send()
    assert [(m.status, m.attempts, m.claim_token) for m in outbox()] == [("sent", 1, None)] * 3
    assert all(m.sent_at is not None for m in outbox())

    assert "sent 0" in send()
    assert len(smtp_server.received) == 3


def test_the_message_id_is_fixed_when_queued(registration, send, smtp_server):
    [message] = queue_withdrawn(registration)
    send()
    assert smtp_server.received[0].message_id == message.message_id


def test_a_refusing_server_leaves_the_message_queued_with_its_error_until_a_later_run(registration, send, smtp_server):
    queue_withdrawn(registration)
    smtp_server.refuse("550 5.7.1 Relaying geweigerd")
    before = utcnow()
    send()

    [message] = outbox()
    assert (message.status, message.attempts) == ("queued", 1)
    assert message.last_error == "SMTP 550: 5.7.1 Relaying geweigerd"
    assert message.next_attempt_at >= before + timedelta(seconds=300)
    assert smtp_server.received == []

    smtp_server.accept()
    send()  # not due yet: back-off
    assert smtp_server.received == []
    let_back_off_pass()
    send()
    [message] = outbox()
    assert (message.status, message.attempts) == ("sent", 2)
    assert len(smtp_server.received) == 1


def test_a_server_that_is_down_leaves_messages_queued_and_they_go_out_when_it_is_back(registration, send, smtp_server):
    queue_withdrawn(registration, count=3)
    smtp_server.stop()
    output = send()

    first, *rest = outbox()
    assert (first.status, first.attempts) == ("queued", 1)
    assert "ConnectionRefusedError" in first.last_error and f"127.0.0.1:{smtp_server.port}" in first.last_error
    # One failed connection is enough: the others are handed back untried, due at once.
    assert [(m.status, m.attempts, m.claim_token) for m in rest] == [("queued", 0, None)] * 2
    assert all(m.next_attempt_at <= utcnow() for m in rest)
    assert "handed back 2" in output

    smtp_server.start()
    let_back_off_pass()
    send()
    assert [(m.status, m.attempts) for m in outbox()] == [("sent", 2), ("sent", 1), ("sent", 1)]
    assert len(smtp_server.received) == 3


def test_a_server_that_never_answers_times_out_after_mail_timeout(registration, make_app):
    queue_withdrawn(registration)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts the connection, never sends a greeting
        sending_app = make_app(**mail_settings(silent.getsockname()[1], MAIL_TIMEOUT=1))
        started = time.monotonic()
        with sending_app.app_context():
            report = sender.send_due()
        elapsed = time.monotonic() - started

    assert report.retrying == 1
    assert 0.9 <= elapsed < 5
    [message] = outbox()
    assert message.status == "queued" and message.attempts == 1
    assert "timed out" in message.last_error


def test_retries_back_off_exponentially_and_give_up_after_max_attempts(registration, send, smtp_server, app):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 4
    queue_withdrawn(registration)
    smtp_server.refuse()

    delays = []
    for _attempt in range(3):
        before = utcnow()
        send()
        [message] = outbox()
        delays.append(round((message.next_attempt_at - before).total_seconds() / 60))
        let_back_off_pass()
    assert delays == [5, 10, 20]

    output = send()
    [message] = outbox()
    assert (message.status, message.attempts) == ("failed", 4)
    assert message.last_error.startswith("SMTP 550")
    assert "gave up on 1" in output

    smtp_server.accept()
    let_back_off_pass()
    send()
    assert smtp_server.received == []  # a failed message waits for an administrator


def test_back_off_is_capped(app):
    app.config.update(OUTBOX_RETRY_SECONDS=300, OUTBOX_RETRY_MAX_SECONDS=3600)
    assert [sender.retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 5, 10)] == [300, 600, 1200, 2400, 3600, 3600]


def test_a_message_claimed_by_another_sender_waits_for_its_lease_to_run_out(registration, send, smtp_server):
    [message] = queue_withdrawn(registration)
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(claim_token="another-sender", next_attempt_at=utcnow() + timedelta(minutes=5))
    )
    db.session.commit()
    send()
    assert smtp_server.received == []

    let_back_off_pass()  # that sender died: its lease runs out
    send()
    [message] = outbox()
    assert (message.status, message.claim_token) == ("sent", None)
    assert len(smtp_server.received) == 1


def test_a_rolled_back_change_queues_nothing(registration, send, smtp_server):
    registration.withdrawn_reason = "Dubbel"
    messages.queue_withdrawn(registration, "Dubbel")
    db.session.rollback()

    assert outbox() == []
    send()
    assert smtp_server.received == []


def test_a_registration_that_fails_to_store_queues_no_email(make_registration):
    with pytest.raises(IntegrityError):
        make_registration(directors=[("Jan de Boer", "4711"), ("Piet Smit", "4711")])
    db.session.rollback()
    assert outbox() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_a_submission_queues_its_two_messages_with_the_registration(make_registration):
    registration, _token = make_registration()
    messages = outbox()
    assert [(m.kind, m.registration_id, m.status) for m in messages] == [
        ("submission_received", registration.id, "queued"),
        ("new_registration", registration.id, "queued"),
    ]


def test_a_refusal_that_quotes_the_status_link_is_neither_logged_nor_stored_with_its_token(
    make_registration, send, smtp_server, caplog
):
    """The confirmation to the processor carries the status link. A mail server that
    quotes it back (a URL filter, say) must not put the token in a log or the outbox."""
    caplog.set_level(logging.DEBUG)
    _registration, token = make_registration()
    smtp_server.refuse(f"550 5.7.1 Blocked URL https://aanmelden.example.nl/status/{token}")
    output = send()

    [message] = [m for m in outbox() if m.kind == "submission_received"]
    assert message.status == "queued" and "/status/[token]" in message.last_error
    assert token not in message.last_error and token not in output
    assert any("/status/[token]" in record.getMessage() for record in caplog.records)
    assert token not in caplog.text
    assert all(token not in logging.Formatter("%(message)s").format(record) for record in caplog.records)
    assert token in message.body_text  # the link itself still goes out, once the server accepts it


@pytest.mark.parametrize("line", ["x" * 2000, "ü" * 1200, " ".join(["AW-2026-00042"] * 150)])
def test_any_line_length_is_delivered_and_every_line_on_the_wire_is_legal(registration, send, smtp_server, line):
    """RFC 5322: no line over 998 characters. A body with ~50 possible duplicates on one
    line passed that, and a strict relay refuses such a message."""
    queue.add("new_registration", to="intake@example.nl", subject="Lang", text=f"Begin\n{line}\nEinde",
              html=f"<p>{line}</p>", registration=registration)
    db.session.commit()
    assert "sent 1" in send()
    [received] = smtp_server.received
    assert max(len(raw_line) for raw_line in received.raw.splitlines()) <= 998
    assert line in received.text and line in received.html


def test_no_header_can_be_planted_through_a_subject_or_a_recipient(registration, send, smtp_server):
    queue.add("new_registration", to="intake@example.nl", subject="Nieuw\r\nBcc: buit@evil.example\r\nX-Extra: 1",
              text="Tekst", html=None, registration=registration)
    db.session.commit()
    assert "sent 1" in send()
    [received] = smtp_server.received
    assert received.rcpt_tos == ["intake@example.nl"]
    assert received.message["Bcc"] is None and received.message["X-Extra"] is None
    assert received.subject == "Nieuw Bcc: buit@evil.example X-Extra: 1"
