"""The team's requests to the processor, and the processor's answers.

A registration that waits on the processor (registration.waiting_reason and
waiting_since, which the board, the clocks and the digest read) has one open
ProcessorRequest behind it: what the team asked, item by item
(process.REQUEST_ITEMS), and, once answered on the status page, the answer with
an optional attachment. Only workflow.py opens and closes requests.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..dates import utcnow
from ..extensions import db
from ..process import REQUEST_ITEM_KEYS, Answer, RequestItem, check_in, request_item
from ..validators import ATTACHMENT_TYPES

if TYPE_CHECKING:
    from . import Registration, User

# "At most one open request per registration", kept by the database itself: a
# unique index over the open rows only (a partial index, on SQLite and PostgreSQL).
OPEN = sa.text("closed_at IS NULL")


class ProcessorRequest(db.Model):
    """One request of a team to the processor. Open while closed_at is NULL;
    closed by the processor's answer (answer set) or by staff who stop waiting
    (closed_by_id). Closed requests stay, with their items and answer: reopening
    one opens a new request with the same items and message."""

    __tablename__ = "processor_request"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    registration_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    # What the team wrote; the processor reads it on the status page and in the e-mail.
    message: so.Mapped[str] = so.mapped_column(sa.String(2000))
    opened_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("user.id"))
    opened_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    closed_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("user.id"))
    closed_at: so.Mapped[Optional[datetime]]
    answer: so.Mapped[Optional[str]] = so.mapped_column(sa.String(16))
    answer_comment: so.Mapped[Optional[str]] = so.mapped_column(sa.String(2000))
    answered_at: so.Mapped[Optional[datetime]]
    # Reminders queued for this request (caseapp.reminders): raised only by a
    # compare-and-set UPDATE ... WHERE reminders_sent = n, in the transaction that
    # queues the reminder, so no reminder goes out twice however many run at once.
    reminders_sent: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

    registration: so.Mapped[Registration] = so.relationship(back_populates="requests")
    items: so.Mapped[list[ProcessorRequestItem]] = so.relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="ProcessorRequestItem.position",
        lazy="raise_on_sql",
    )
    attachment: so.Mapped[Optional[Attachment]] = so.relationship(
        back_populates="request", cascade="all, delete-orphan", lazy="raise_on_sql"
    )
    opened_by: so.Mapped[Optional[User]] = so.relationship(foreign_keys=[opened_by_id], lazy="raise_on_sql")

    __table_args__ = (
        sa.CheckConstraint(Answer.check("answer"), name="answer"),
        sa.CheckConstraint("answer IS NULL OR closed_at IS NOT NULL", name="answered_is_closed"),
        sa.Index("ix_processor_request_open", "registration_id", unique=True, sqlite_where=OPEN,
                 postgresql_where=OPEN),
    )

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_answered(self) -> bool:
        return self.answer is not None

    @property
    def item_keys(self) -> list[str]:
        return [item.key for item in self.items]

    @property
    def requested(self) -> list[RequestItem]:
        """The items as the process describes them (label, standard text, instruction)."""
        return [request_item(item.key) for item in self.items]


class ProcessorRequestItem(db.Model):
    """One thing a request asks for: a prerequisite of step 1, or `other`."""

    __tablename__ = "processor_request_item"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Indexed by uq_processor_request_item_key, which starts with it.
    request_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("processor_request.id", ondelete="CASCADE"))
    key: so.Mapped[str] = so.mapped_column(sa.String(40))
    position: so.Mapped[int] = so.mapped_column(default=0)

    request: so.Mapped[ProcessorRequest] = so.relationship(back_populates="items")

    __table_args__ = (
        sa.CheckConstraint(check_in("key", REQUEST_ITEM_KEYS), name="key"),
        sa.UniqueConstraint("request_id", "key", name="uq_processor_request_item_key"),
    )


class Attachment(db.Model):
    """The file a processor attached to an answer, its bytes in the database so
    that every web host can serve it (to staff only, as a download)."""

    __tablename__ = "attachment"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # One attachment per answer (the unique constraint indexes it too).
    request_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("processor_request.id", ondelete="CASCADE"), unique=True
    )
    filename: so.Mapped[str] = so.mapped_column(sa.String(255))
    # What the bytes are (validators.attachment looked), never what the name said.
    content_type: so.Mapped[str] = so.mapped_column(sa.String(100))
    size: so.Mapped[int]
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    # Loaded only when the file is downloaded.
    data: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary, deferred=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    request: so.Mapped[ProcessorRequest] = so.relationship(back_populates="attachment")

    __table_args__ = (sa.CheckConstraint(check_in("content_type", ATTACHMENT_TYPES), name="content_type"),)
