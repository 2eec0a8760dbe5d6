"""Delivering what is due: claim a batch, send each message through SMTP, record
the outcome; never a message twice, however many senders run (see the package)."""

from __future__ import annotations

import email.policy
import logging
import smtplib
import ssl
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Optional

import click
import flask_mail
import sqlalchemy as sa
from flask import current_app

from ..dates import utcnow
from ..extensions import db
from ..logs import mask_tokens
from ..models import OutboxMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClaimedMessage:
    """What a sender needs of a claimed row, read once so no lazy load happens mid-send."""

    id: int
    recipient: str
    reply_to: Optional[str]
    subject: str
    body_text: str
    body_html: Optional[str]
    message_id: str
    attempts: int


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    # Claimed but handed back untried (the server was unreachable, or we were stopped).
    released: int = 0

    def __bool__(self) -> bool:
        return bool(self.sent or self.retrying or self.failed or self.released)

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, will retry {self.retrying}, gave up on {self.failed}, "
            f"handed back {self.released}"
        )


class ServerUnavailable(Exception):
    """The SMTP server could not be reached, or refused the session (TLS, login)."""


def smtp_configured() -> bool:
    """Without MAIL_SERVER (the default) messages stay in the outbox."""
    state = current_app.extensions["mail"]
    return bool(state.server) and not state.suppress


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off after the n-th failed attempt: base, 2x base, 4x base, ... capped."""
    base = current_app.config["OUTBOX_RETRY_SECONDS"]
    cap = current_app.config["OUTBOX_RETRY_MAX_SECONDS"]
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def send_due(batch_size: Optional[int] = None, stop: Optional[threading.Event] = None) -> SendReport:
    """Deliver every message that is due, batch by batch, until none is left.

    Stops early (handing back what it claimed) when the server is unreachable or
    `stop` is set.
    """
    batch_size = batch_size or current_app.config["OUTBOX_BATCH_SIZE"]
    stop = stop or threading.Event()
    token = uuid.uuid4().hex
    report = SendReport()
    while not stop.is_set():
        batch = _claim(token, batch_size)
        if batch is None:
            break  # nothing is due
        if not _deliver_batch(batch, token, report, stop):
            break
    return report


def run_loop(interval: float, batch_size: Optional[int], stop: threading.Event) -> None:
    """Send what is due every `interval` seconds until `stop` is set (SIGTERM)."""
    while not stop.is_set():
        try:
            report = send_due(batch_size, stop)
        except sa.exc.SQLAlchemyError:
            log.exception("outbox: database error; trying again in %s s", interval)
            db.session.rollback()
        else:
            if report:
                click.echo(f"Outbox: {report}.")
        finally:
            db.session.close()
        stop.wait(interval)


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now)


def _claim(token: str, batch_size: int) -> Optional[list[ClaimedMessage]]:
    """Claim up to batch_size due messages for this sender, in one short transaction.

    None when nothing is due; an empty list when other senders got there first.
    """
    now = utcnow()
    ids = db.session.scalars(
        sa.select(OutboxMessage.id)
        .where(_due(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    if not ids:
        db.session.rollback()
        return None
    # Re-checking "due" makes this a compare-and-set: where FOR UPDATE is not
    # available (SQLite), a second sender that read the same ids claims none of them.
    rows = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), _due(now))
        .values(claim_token=token, next_attempt_at=now + _lease())
        .returning(
            OutboxMessage.id,
            OutboxMessage.recipient,
            OutboxMessage.reply_to,
            OutboxMessage.subject,
            OutboxMessage.body_text,
            OutboxMessage.body_html,
            OutboxMessage.message_id,
            OutboxMessage.attempts,
        )
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    order = {message_id: index for index, message_id in enumerate(ids)}
    return sorted((ClaimedMessage(*row) for row in rows), key=lambda m: order[m.id])


def _deliver_batch(batch: list[ClaimedMessage], token: str, report: SendReport, stop: threading.Event) -> bool:
    """Send each claimed message; False when the run should stop (server down, or stopping)."""
    for item in batch:
        if stop.is_set():
            report.released += _release(token)
            return False
        if not _renew_lease(item.id, token):
            continue  # the lease ran out and another sender took the message over
        try:
            _send(item)
        except Exception as error:  # any failure is recorded on the message, never lost
            _record_failure(item, token, error, report)
            if _is_connection_problem(error):
                report.released += _release(token)
                return False
            continue
        _record_sent(item, token)
        report.sent += 1
    return True


def _renew_lease(message_id: int, token: str) -> bool:
    return _update_claimed(message_id, token, next_attempt_at=utcnow() + _lease())


def _record_sent(item: ClaimedMessage, token: str) -> None:
    if not _update_claimed(item.id, token, status="sent", sent_at=utcnow(), attempts=item.attempts + 1,
                           claim_token=None):
        log.warning("outbox: message %s was sent but its lease had run out", item.id)


def _record_failure(item: ClaimedMessage, token: str, error: Exception, report: SendReport) -> None:
    attempts = item.attempts + 1
    # A server may quote the message back (a URL filter naming the status link): the
    # error is kept, and logged, with the token masked.
    last_error = mask_tokens(_describe(error))[:1000]
    values: dict[str, Any] = {"attempts": attempts, "last_error": last_error, "claim_token": None}
    if attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        values["status"] = "failed"
        report.failed += 1
        log.error("outbox: giving up on message %s after %s attempts: %s", item.id, attempts, values["last_error"])
    else:
        values["next_attempt_at"] = utcnow() + retry_delay(attempts)
        report.retrying += 1
        log.warning("outbox: message %s failed (attempt %s): %s", item.id, attempts, values["last_error"])
    _update_claimed(item.id, token, **values)


def _release(token: str) -> int:
    """Hand back what this sender claimed but did not try, due at once."""
    released = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.claim_token == token, OutboxMessage.status == "queued")
        .values(claim_token=None, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return released.rowcount


def _update_claimed(message_id: int, token: str, **values: Any) -> bool:
    """Update a message only while this sender still holds its claim; commit."""
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.claim_token == token,
            OutboxMessage.status == "queued",
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


# --- SMTP -----------------------------------------------------------------


class _SMTPConnection(flask_mail.Connection):
    """Flask-Mail's connection with a timeout and certificate-checking TLS.

    Flask-Mail 0.10 opens smtplib.SMTP without a timeout (a hung relay would
    block the sender for ever) and calls starttls() without an SSL context
    (which does not verify the server's certificate).
    """

    def __init__(self, mail: Any, timeout: float) -> None:
        super().__init__(mail)
        self.timeout = timeout

    def configure_host(self) -> smtplib.SMTP:
        state = self.mail
        host: Optional[smtplib.SMTP] = None
        try:
            if state.use_ssl:
                host = smtplib.SMTP_SSL(state.server, state.port, timeout=self.timeout,
                                        context=ssl.create_default_context())
            else:
                host = smtplib.SMTP(state.server, state.port, timeout=self.timeout)
            if state.use_tls:
                host.starttls(context=ssl.create_default_context())
            if state.username and state.password:
                host.login(state.username, state.password)
        except (smtplib.SMTPException, OSError) as error:
            if host is not None:
                host.close()
            raise ServerUnavailable(f"{state.server}:{state.port}: {_describe(error)}") from error
        return host

    def __exit__(self, *exc_info: Any) -> None:
        # The message is accepted once sendmail() returns: a failing QUIT must not undo that.
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPException, OSError):
                self.host.close()


def build(item: ClaimedMessage, sender: str) -> EmailMessage:
    """The message as it goes over the wire, built with the standard library's SMTP
    policy: every line legal (at most 998 characters; a longer body line is sent
    quoted-printable), headers folded and encoded, CRLF line ends."""
    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"] = item.subject
    message["From"] = sender
    message["To"] = item.recipient
    if item.reply_to:
        message["Reply-To"] = item.reply_to  # as queued: the team that owned the step then
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = item.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(item.body_text, cte=_transfer_encoding(item.body_text))
    if item.body_html:
        message.add_alternative(item.body_html, subtype="html", cte=_transfer_encoding(item.body_html))
    return message


def _transfer_encoding(body: str) -> str:
    """8bit where every line fits (readable in any mail source view), else quoted-printable."""
    return "8bit" if all(len(line.encode()) <= 998 for line in body.splitlines()) else "quoted-printable"


def _send(item: ClaimedMessage) -> None:
    state = current_app.extensions["mail"]
    message = build(item, state.default_sender)
    with _SMTPConnection(state, current_app.config["MAIL_TIMEOUT"]) as connection:
        connection.host.send_message(message)


def _is_connection_problem(error: Exception) -> bool:
    """True when the next message would fail the same way (so stop this run)."""
    if isinstance(error, (ServerUnavailable, smtplib.SMTPServerDisconnected)):
        return True
    # smtplib's own errors are OSErrors too; those are answers about one message.
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else str(error.smtp_error)
        return f"SMTP {error.smtp_code}: {text}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(
            f"{address}: {code} {reply.decode(errors='replace')}" for address, (code, reply) in error.recipients.items()
        )
        return f"recipient refused: {refused}"
    return f"{type(error).__name__}: {error}"
