"""E-mail through a transactional outbox: queue in the transaction, send afterwards.

Queueing: the `queue_*` functions render a message from `templates/email/<name>.txt`
and `.html` and add an OutboxMessage to the caller's session. They never commit:
the message is stored with the change that caused it, or not at all.

Sending: `flask --app wsgi outbox send` (see `send_due`) delivers what is due.
Several senders may run at once against PostgreSQL without sending a message
twice. A sender

1. claims a batch in a short transaction: it selects due rows with
   `FOR UPDATE SKIP LOCKED` (so senders do not wait on each other), then an
   UPDATE that re-checks the rows are still due stamps its claim token on them
   and moves `next_attempt_at` forward as a lease; commit;
2. per message: renews the lease (only if the token is still its own), sends
   through SMTP, and records the outcome (sent, or the error and when to retry),
   each step guarded by its token.

A message is only sent by the sender holding its unexpired lease, and the lease
is renewed right before each message, so OUTBOX_LEASE_SECONDS only has to
outlast one SMTP conversation (MAIL_TIMEOUT bounds each network step).
On SQLite the same statements are safe, but writers queue behind each other:
run a single sender there.
"""

from __future__ import annotations

import logging
import re
import signal
import smtplib
import ssl
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.utils import make_msgid, parseaddr
from typing import Any, Optional

import click
import flask_mail
import sqlalchemy as sa
from flask import current_app, render_template
from flask.cli import AppGroup
from flask_babel import gettext as _

from .extensions import db
from .logs import mask_tokens
from .models import OutboxMessage, Registration, utcnow

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------
# Queueing (called inside the caller's transaction)
# ---------------------------------------------------------------------------


def queue(
    template: str,
    *,
    to: str,
    subject: str,
    registration: Optional[Registration] = None,
    **context: Any,
) -> OutboxMessage:
    """Render `email/<template>.txt` and `.html` and add the message to the session.

    Does not commit: the message is stored with the caller's transaction.
    """
    context = {"registration": registration, "base_url": _base_url(), "subject": subject, **context}
    return queue_rendered(
        template,
        to=to,
        subject=subject,
        text=render_template(f"email/{template}.txt", **context),
        html=render_template(f"email/{template}.html", **context),
        registration=registration,
    )


def queue_rendered(
    kind: str, *, to: str, subject: str, text: str, html: Optional[str], registration: Optional[Registration] = None
) -> OutboxMessage:
    """Add an already rendered message to the session (does not commit)."""
    message = _queued(
        kind=kind, recipient=to, subject=_one_line(subject)[:255], body_text=_tidy_text(text), body_html=html
    )
    message.registration = registration
    return message


def _queued(**fields: Any) -> OutboxMessage:
    """A new message with these fields, due now, with a Message-ID of its own (added to the session)."""
    message = OutboxMessage(
        **fields,
        message_id=make_msgid(domain=_message_id_domain()),
        status="queued",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(message)
    return message


def queue_submission_received(registration: Registration, token: str) -> OutboxMessage:
    """To the processor: confirmation, what was submitted, the status link, what happens next.

    The one message that can carry the status link: only the token's hash is kept.
    """
    return _queue_to_processor(
        "submission_received",
        _("Aanmelding ontvangen"),
        registration,
        status_url=f"{_base_url()}/status/{token}",
        summary=_submission_summary(registration),
    )


def queue_new_registration(
    registration: Registration, possible_duplicate_of: tuple[str, ...] | list[str] = ()
) -> Optional[OutboxMessage]:
    """To the a.s.r. intake mailbox: a new registration to triage, with a link to it.

    No DGA names or personnel numbers: the team reads those in the app.
    """
    return _queue_to_team(
        "ASR_INTAKE_MAILBOX",
        "new_registration",
        subject=_subject(_("Nieuwe aanmelding"), registration),
        registration=registration,
        detail_url=_detail_url(registration),
        possible_duplicate_of=list(possible_duplicate_of),
    )


def queue_setup_started(registration: Registration) -> Optional[OutboxMessage]:
    """To the Keylane mailbox: a registration reached `setup` and waits for Keylane."""
    return _queue_to_team(
        "KEYLANE_MAILBOX",
        "setup_started",
        subject=_subject(_("Klaar voor inrichting"), registration),
        registration=registration,
        detail_url=_detail_url(registration),
    )


def queue_realised(registration: Registration) -> OutboxMessage:
    """To the processor: the link is realised, with the first-exchange date (step 4).

    Records that date as the one the processor was told about.
    """
    if registration.first_exchange_date is None:
        raise ValueError(f"{registration.reference} is realised without a first-exchange date")
    registration.first_exchange_date_notified = registration.first_exchange_date
    return _queue_to_processor("realised", _("Salariskoppeling gerealiseerd"), registration)


def queue_first_exchange_date_changed(
    registration: Registration, old_date: Optional[date]
) -> Optional[OutboxMessage]:
    """To the processor: the first-exchange date they were told about has changed.

    Queues nothing when the date is unchanged. Records the new date as told.
    """
    new_date = registration.first_exchange_date
    if new_date is None or new_date == old_date:
        return None
    registration.first_exchange_date_notified = new_date
    return _queue_to_processor(
        "first_exchange_date_changed", _("Nieuwe datum eerste uitwisseling"), registration, old_date=old_date
    )


def queue_withdrawn(registration: Registration, reason: str) -> OutboxMessage:
    """To the processor: the registration was withdrawn, and why."""
    return _queue_to_processor("withdrawn", _("Aanmelding ingetrokken"), registration, reason=reason)


def queue_waiting_on_processor(registration: Registration, reason: str) -> OutboxMessage:
    """To the processor: we need something from them before we can go on, and what."""
    # Imported here: workflow.py calls this module, so a top-level import would be circular.
    from .workflow import STEP_OWNERS, TEAM_LABELS

    owner = STEP_OWNERS.get(registration.step) or "asr"
    return _queue_to_processor(
        "waiting_on_processor", _("Actie nodig"), registration, reason=reason, team=TEAM_LABELS[owner]
    )


def _submission_summary(registration: Registration) -> list[tuple[str, str]]:
    """What the processor submitted, as (label, value) rows for the confirmation."""
    frequency = _("Per maand") if registration.pay_frequency == "monthly" else _("Per vier weken")
    return [
        (_("Salarisverwerker"), registration.processor_name),
        (_("E-mailadres salarisverwerker"), registration.processor_email),
        (_("Werkgever"), registration.employer_name),
        (_("Raamwerkcontractnummer"), registration.contract_number),
        (_("Loonheffingennummer"), registration.payroll_tax_number),
        (_("Werkgever ID (Loket.nl)"), registration.loket_employer_id),
        (_("Verloningsfrequentie"), frequency),
        (_("13e maand"), _("Ja") if registration.thirteenth_month else _("Nee")),
    ]


def _detail_url(registration: Registration) -> str:
    """The staff detail page; needs the id, so the registration is flushed first."""
    if registration.id is None:
        db.session.flush()
    return f"{_base_url()}/registrations/{registration.id}"


def _queue_to_processor(template: str, title: str, registration: Registration, **context: Any) -> OutboxMessage:
    return queue(
        template, to=registration.processor_email, subject=_subject(title, registration), registration=registration,
        **context,
    )


def _queue_to_team(setting: str, template: str, **kwargs: Any) -> Optional[OutboxMessage]:
    recipient = current_app.config.get(setting)
    if not recipient:
        log.warning("%s is not set: no %s e-mail queued", setting, template)
        return None
    return queue(template, to=recipient, **kwargs)


def _subject(title: str, registration: Registration) -> str:
    return _("%(title)s: %(employer)s (%(reference)s)", title=title,
             employer=registration.employer_name, reference=registration.reference)


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def _message_id_domain() -> str:
    address = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")[1]
    return address.rpartition("@")[2] or "caseapp.invalid"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _tidy_text(text: str) -> str:
    """Plain-text bodies: no trailing spaces, at most one blank line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


# ---------------------------------------------------------------------------
# Sending (outside any request: the CLI, cron or a service)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimedMessage:
    """What a sender needs of a claimed row, read once so no lazy load happens mid-send."""

    id: int
    recipient: str
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


def resend(message: OutboxMessage) -> Optional[OutboxMessage]:
    """Queue a message again (for an administrator). Does not commit.

    A sent message is queued as a copy, so the record of the first delivery
    stays; a queued or failed one is made due now with its attempts starting
    over. Returns the message that will go out, or None while a sender is
    delivering it right now.

    Asking twice (a double click, two administrators at once) queues one
    message: a copy still waiting in the queue is the answer to the second ask.
    """
    if message.status == "sent":
        # Resends of one message take turns (a row lock; FOR UPDATE is left out on
        # SQLite, a single-process set-up), so the second one sees the first's copy.
        db.session.execute(sa.select(OutboxMessage.id).where(OutboxMessage.id == message.id).with_for_update())
        waiting = db.session.scalar(
            sa.select(OutboxMessage)
            .where(
                OutboxMessage.id > message.id,
                OutboxMessage.status == "queued",
                OutboxMessage.registration_id.is_not_distinct_from(message.registration_id),
                OutboxMessage.kind == message.kind,
                OutboxMessage.recipient == message.recipient,
                OutboxMessage.subject == message.subject,
                OutboxMessage.body_text == message.body_text,
            )
            .order_by(OutboxMessage.id)
            .limit(1)
        )
        if waiting is not None:
            return waiting
        return _queued(
            kind=message.kind,
            registration_id=message.registration_id,
            recipient=message.recipient,
            subject=message.subject,
            body_text=message.body_text,
            body_html=message.body_html,
        )
    now = utcnow()
    requeued = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status != "sent",
            sa.or_(OutboxMessage.claim_token.is_(None), OutboxMessage.next_attempt_at <= now),
        )
        .values(status="queued", attempts=0, next_attempt_at=now, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    if requeued.rowcount != 1:
        return None
    db.session.refresh(message)
    return message


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


def _send(item: ClaimedMessage) -> None:
    message = flask_mail.Message(
        subject=item.subject,
        recipients=[item.recipient],
        body=item.body_text,
        html=item.body_html,
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    message.msgId = item.message_id
    state = current_app.extensions["mail"]
    with _SMTPConnection(state, current_app.config["MAIL_TIMEOUT"]) as connection:
        connection.send(message)


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


# ---------------------------------------------------------------------------
# CLI: flask --app wsgi outbox send [--loop]
# ---------------------------------------------------------------------------

outbox_cli = AppGroup("outbox", help="The e-mail outbox.")


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep running, sending what is due every --interval seconds, until SIGTERM.")
@click.option("--interval", type=click.FloatRange(min=0.1), default=None,
              help="Seconds between runs with --loop (default OUTBOX_INTERVAL_SECONDS).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Messages claimed at a time (default OUTBOX_BATCH_SIZE).")
def send_command(loop: bool, interval: Optional[float], batch_size: Optional[int]) -> None:
    """Deliver queued e-mail that is due (through MAIL_SERVER)."""
    if not smtp_configured():
        waiting = db.session.scalar(
            sa.select(sa.func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "queued")
        )
        click.echo(
            f"No SMTP server configured (MAIL_SERVER is not set): {waiting} queued message(s) stay in "
            "the outbox. An administrator can read them at /admin/outbox."
        )
        return
    stop = threading.Event()
    with _stop_on_signals(stop):
        if loop:
            interval = interval or current_app.config["OUTBOX_INTERVAL_SECONDS"]
            click.echo(f"Outbox sender running every {interval:g} s; stop with SIGTERM.")
            run_loop(interval, batch_size, stop)
            click.echo("Outbox sender stopped.")
        else:
            click.echo(f"Outbox: {send_due(batch_size, stop)}.")


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT finish the message in hand, hand back the rest, and stop."""
    signals = (signal.SIGTERM, signal.SIGINT)
    previous = {number: signal.signal(number, lambda *_args: stop.set()) for number in signals}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
