"""Typed models. The workflow lives in workflow.py; these only hold data.

The registration and its records are here; the team's requests to the processor
(with their items, answers and attachments) in requests.py. Import them all from
caseapp.models."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_property

from .. import process
from ..dates import utcnow
from ..extensions import db
from ..process import ContactChannel, PayFrequency, Role, Step


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# The registration columns the board's text search looks in (caseapp.board.service).
SEARCHED_COLUMNS = ("employer_name", "processor_name", "reference", "contract_number", "payroll_tax_number")

# Indexes declared below that exist on PostgreSQL only (the migrations create
# them there and nowhere else; SQLite has no trigram index). Comparing the models
# with a SQLite database has to leave them out: see include_in_schema_compare.
POSTGRESQL_ONLY_INDEXES = frozenset(f"ix_registration_search_{column}" for column in SEARCHED_COLUMNS)


def include_in_schema_compare(dialect_name: str):
    """Alembic `include_object` for comparing the models with a `dialect_name` database:
    everything, except indexes meant for another database (POSTGRESQL_ONLY_INDEXES)."""

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "index" and name in POSTGRESQL_ONLY_INDEXES:
            return dialect_name == "postgresql"
        return True

    return include_object


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    role: so.Mapped[str] = so.mapped_column(sa.String(16))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    # Bumped on logout-everywhere and deactivation: sessions carrying an older
    # value stop working (the session id is "<id>:<session_version>").
    session_version: so.Mapped[int] = so.mapped_column(default=1)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    __table_args__ = (sa.CheckConstraint(Role.check("role"), name="role"),)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


def _children(order_by: Optional[str], lazy: str = "raise_on_sql") -> Any:
    """A collection that belongs to its registration (deleted with it). Loaded only
    when asked for (raise_on_sql), so every page says up front what it reads."""
    return so.relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by=order_by or False, lazy=lazy
    )


def _owned_by_registration(index: bool = False) -> Any:
    """The foreign key of a row that belongs to a registration (deleted with it)."""
    return so.mapped_column(sa.ForeignKey("registration.id", ondelete="CASCADE"), index=index)


class ReferenceCounter(db.Model):
    """One row per year; incremented atomically to number registrations AW-<year>-<seq>."""

    __tablename__ = "reference_counter"

    year: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    last_value: so.Mapped[int] = so.mapped_column(default=0)


class Registration(db.Model):
    __tablename__ = "registration"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reference: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)

    # Intake data, normalised by validators.py.
    processor_name: so.Mapped[str] = so.mapped_column(sa.String(70))
    processor_email: so.Mapped[str] = so.mapped_column(sa.String(254))
    employer_name: so.Mapped[str] = so.mapped_column(sa.String(70))
    contract_number: so.Mapped[str] = so.mapped_column(sa.String(30))
    payroll_tax_number: so.Mapped[str] = so.mapped_column(sa.String(12), index=True)
    loket_employer_id: so.Mapped[str] = so.mapped_column(sa.String(36), index=True)
    pay_frequency: so.Mapped[str] = so.mapped_column(sa.String(16))
    thirteenth_month: so.Mapped[bool]
    prerequisites_confirmed_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    # Flags for a.s.r. triage.
    contract_prefix_warning: so.Mapped[bool] = so.mapped_column(default=False)
    possible_duplicate: so.Mapped[bool] = so.mapped_column(default=False)
    intake_checked: so.Mapped[bool] = so.mapped_column(default=False)

    # Where it is in the process.
    step: so.Mapped[str] = so.mapped_column(sa.String(16), default=Step.RECEIVED.value)
    step_entered_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    assignee_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("user.id"), index=True)
    waiting_reason: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    waiting_since: so.Mapped[Optional[datetime]]
    # The processor answered the team's request at this moment, and no staff member
    # has changed the registration since (the board's "Antwoord ontvangen"). Set by
    # workflow.answer_request, cleared by any staff change (changes.record_event).
    answer_received_at: so.Mapped[Optional[datetime]]
    withdrawn_reason: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    withdrawn_at: so.Mapped[Optional[datetime]]
    # Since when the party that has to act now (workflow.ball_party) has had it
    # without a break; None when nobody has to act (withdrawn, live). Kept by
    # workflow.py on every change of hands, so lists need not replay events
    # (caseapp.insight.clocks derives the same moment from the event trail).
    ball_since: so.Mapped[Optional[datetime]]
    first_exchange_date: so.Mapped[Optional[date]]
    # The date the processor was last told about (a change after that is news).
    first_exchange_date_notified: so.Mapped[Optional[date]]
    realised_at: so.Mapped[Optional[datetime]]
    live_at: so.Mapped[Optional[datetime]]
    anonymised_at: so.Mapped[Optional[datetime]]

    status_token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    version: so.Mapped[int] = so.mapped_column(default=1)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    assignee: so.Mapped[Optional[User]] = so.relationship(lazy="raise_on_sql")
    directors: so.Mapped[list[Director]] = _children("Director.position", lazy="selectin")
    policies: so.Mapped[list[PolicyRecord]] = _children("PolicyRecord.id")
    checks: so.Mapped[list[AuthorisationCheck]] = _children(None)
    contacts: so.Mapped[list[ContactLogEntry]] = _children("ContactLogEntry.occurred_at.desc()")
    events: so.Mapped[list[Event]] = _children("Event.id.desc()")
    # The team's requests to the processor, newest first (at most one open: see requests.py).
    requests: so.Mapped[list[ProcessorRequest]] = _children("ProcessorRequest.id.desc()")

    __table_args__ = (
        sa.CheckConstraint(Step.check("step"), name="step"),
        sa.CheckConstraint(PayFrequency.check("pay_frequency"), name="pay_frequency"),
        # The board lists each column oldest-in-step first.
        sa.Index("ix_registration_board", "step", "step_entered_at", "id"),
        # The board's count per column, read from the index alone: the step and
        # every column the board filters on except the text search. withdrawn_at
        # comes last on purpose: SQLite's statistics average over its many
        # distinct values, take "step = ? AND withdrawn_at IS NULL" for a few
        # rows, and would pick this index for the cards too (sorting a whole
        # column) instead of walking ix_registration_board in order.
        sa.Index("ix_registration_counts", "step", "waiting_since", "assignee_id", "withdrawn_at"),
        # The board's text search (ILIKE '%word%' on SEARCHED_COLUMNS) on PostgreSQL:
        # a trigram GIN index per column, so the search's OR of columns is a
        # BitmapOr of small index scans. (One GIN index over all five columns is
        # valued so dear by the planner that it scans the table instead.)
        # PostgreSQL only (see POSTGRESQL_ONLY_INDEXES); SQLite scans.
        *(
            sa.Index(
                f"ix_registration_search_{column}",
                column,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")
            for column in SEARCHED_COLUMNS
        ),
    )
    # Every UPDATE checks the version it read; edit forms also carry the version
    # the user saw, so a stale form is caught across requests too.
    __mapper_args__ = {"version_id_col": version}

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def is_waiting(self) -> bool:
        return self.waiting_since is not None

    @property
    def open_request(self) -> Optional[ProcessorRequest]:
        """The request the registration waits on, if any (reads the loaded `requests`)."""
        return next((request for request in self.requests if request.is_open), None)

    @property
    def latest_request(self) -> Optional[ProcessorRequest]:
        """The newest request, open or closed (reads the loaded `requests`)."""
        return self.requests[0] if self.requests else None

    @hybrid_property
    def is_open(self) -> bool:
        """Still in the process (not withdrawn, not live); in a query, process.open_condition."""
        return process.is_open(self.step, self.is_withdrawn)

    @is_open.inplace.expression
    @classmethod
    def _is_open_expression(cls) -> sa.ColumnElement[bool]:
        return process.open_condition(cls.step, cls.withdrawn_at)

    def __repr__(self) -> str:
        return f"<Registration {self.reference} {self.step}>"


# The ix_registration_search_* indexes need the pg_trgm extension. The migrations create it;
# this does the same for db.create_all() (the tests build their schema that way).
sa.event.listen(
    db.metadata,
    "before_create",
    sa.DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)


class Director(db.Model):
    """A DGA (directeur-grootaandeelhouder) on the employer's payroll."""

    __tablename__ = "director"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    registration_id: so.Mapped[int] = _owned_by_registration(index=True)
    position: so.Mapped[int] = so.mapped_column(default=0)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    personnel_number: so.Mapped[str] = so.mapped_column(sa.String(12))

    registration: so.Mapped[Registration] = so.relationship(back_populates="directors")

    __table_args__ = (
        sa.UniqueConstraint("registration_id", "personnel_number", name="uq_director_personnel"),
    )


class PolicyRecord(db.Model):
    __tablename__ = "policy_record"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    registration_id: so.Mapped[int] = _owned_by_registration(index=True)
    policy_number: so.Mapped[str] = so.mapped_column(sa.String(40))
    scheme: so.Mapped[str] = so.mapped_column(sa.String(120))
    start_date: so.Mapped[date]
    note: so.Mapped[Optional[str]] = so.mapped_column(sa.String(1000))
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("user.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, onupdate=utcnow)

    registration: so.Mapped[Registration] = so.relationship(back_populates="policies")
    created_by: so.Mapped[Optional[User]] = so.relationship(lazy="raise_on_sql")


class AuthorisationCheck(db.Model):
    """One ticked prerequisite of step 1 (see process.PREREQUISITES); absent = not ticked."""

    __tablename__ = "authorisation_check"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    registration_id: so.Mapped[int] = _owned_by_registration(index=True)
    key: so.Mapped[str] = so.mapped_column(sa.String(40))
    checked_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("user.id"))
    checked_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    registration: so.Mapped[Registration] = so.relationship(back_populates="checks")
    checked_by: so.Mapped[Optional[User]] = so.relationship(lazy="raise_on_sql")

    __table_args__ = (sa.UniqueConstraint("registration_id", "key", name="uq_check_key"),)


class ContactLogEntry(db.Model):
    __tablename__ = "contact_log_entry"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Indexed by ix_contact_log_entry_latest, which starts with it.
    registration_id: so.Mapped[int] = _owned_by_registration()
    occurred_at: so.Mapped[datetime]
    channel: so.Mapped[str] = so.mapped_column(sa.String(16))
    with_whom: so.Mapped[str] = so.mapped_column(sa.String(120))
    summary: so.Mapped[str] = so.mapped_column(sa.String(2000))
    follow_up_date: so.Mapped[Optional[date]] = so.mapped_column(index=True)
    author_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("user.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    registration: so.Mapped[Registration] = so.relationship(back_populates="contacts")
    author: so.Mapped[Optional[User]] = so.relationship(lazy="raise_on_sql")

    __table_args__ = (
        sa.CheckConstraint(ContactChannel.check("channel"), name="channel"),
        # A registration's latest contact (the stale and due rules), found at
        # the end of this index instead of among all of its contacts.
        sa.Index("ix_contact_log_entry_latest", "registration_id", "occurred_at", "id"),
    )


class Event(db.Model):
    """Append-only audit trail. The app never updates or deletes a row."""

    __tablename__ = "event"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    registration_id: so.Mapped[int] = _owned_by_registration()
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    actor_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("user.id"))
    # Who acted when it was not a staff user: "processor" or "system".
    actor_label: so.Mapped[Optional[str]] = so.mapped_column(sa.String(40))
    data: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    registration: so.Mapped[Registration] = so.relationship(back_populates="events")
    actor: so.Mapped[Optional[User]] = so.relationship(lazy="raise_on_sql")

    __table_args__ = (sa.Index("ix_event_registration", "registration_id", "id"),)


class OutboxMessage(db.Model):
    """An e-mail written in the same transaction as the change that caused it."""

    __tablename__ = "outbox_message"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    registration_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    recipient: so.Mapped[str] = so.mapped_column(sa.String(254))
    # Where replies go (`"name" <address>`, one line; None: the sender's address).
    # Fixed when queued, like the rest of the message: a resend replies to the same team.
    reply_to: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    # Fixed when queued, so a retry after an unrecorded delivery carries the same
    # Message-ID and the recipient's mail system can recognise the duplicate.
    message_id: so.Mapped[str] = so.mapped_column(sa.String(255), unique=True)
    subject: so.Mapped[str] = so.mapped_column(sa.String(255))
    body_text: so.Mapped[str] = so.mapped_column(sa.Text)
    body_html: so.Mapped[Optional[str]] = so.mapped_column(sa.Text)
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="queued")
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_error: so.Mapped[Optional[str]] = so.mapped_column(sa.String(1000))
    # Set by the sender that claimed the message; next_attempt_at is then the end
    # of its lease. Cleared when the outcome is recorded (see outbox/sender.py).
    claim_token: so.Mapped[Optional[str]] = so.mapped_column(sa.String(32))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    sent_at: so.Mapped[Optional[datetime]]

    registration: so.Mapped[Optional[Registration]] = so.relationship(lazy="raise_on_sql")

    __table_args__ = (
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed')", name="status"),
        sa.Index("ix_outbox_due", "status", "next_attempt_at"),
    )


# The requests' models refer to the ones above; caseapp.models offers them all.
from .requests import Attachment, ProcessorRequest, ProcessorRequestItem  # noqa: E402

__all__ = [
    "Attachment", "AuthorisationCheck", "ContactLogEntry", "Director", "Event", "OutboxMessage", "PolicyRecord",
    "ProcessorRequest", "ProcessorRequestItem", "ReferenceCounter", "Registration", "User",
]
