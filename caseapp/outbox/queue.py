"""The transactional write: a rendered message added to the caller's session.

Nothing here commits. A message is stored with the change that caused it, or
not at all; the sender (sender.py) delivers it afterwards.
"""

from __future__ import annotations

import re
from email.utils import make_msgid, parseaddr
from typing import Any, Optional

import sqlalchemy as sa
from flask import current_app

from ..dates import utcnow
from ..extensions import db
from ..models import OutboxMessage, Registration


def add(
    kind: str,
    *,
    to: str,
    subject: str,
    text: str,
    html: Optional[str],
    registration: Optional[Registration] = None,
    reply_to: Optional[str] = None,
) -> OutboxMessage:
    """Add a rendered message to the session, due now (does not commit).

    Subject and Reply-To go into headers: each is kept to one line.
    """
    message = _queued(
        kind=kind, recipient=to, subject=_one_line(subject)[:255], body_text=_tidy_text(text), body_html=html,
        reply_to=_one_line(reply_to or "") or None,
    )
    message.registration = registration
    return message


# What a resent copy takes over from the message it copies.
_COPIED = ("kind", "registration_id", "recipient", "reply_to", "subject", "body_text", "body_html")


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
                OutboxMessage.reply_to.is_not_distinct_from(message.reply_to),
                OutboxMessage.subject == message.subject,
                OutboxMessage.body_text == message.body_text,
            )
            .order_by(OutboxMessage.id)
            .limit(1)
        )
        if waiting is not None:
            return waiting
        return _queued(**{name: getattr(message, name) for name in _COPIED})
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


def _message_id_domain() -> str:
    address = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")[1]
    return address.rpartition("@")[2] or "caseapp.invalid"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _tidy_text(text: str) -> str:
    """Plain-text bodies: no trailing spaces, at most one blank line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"
