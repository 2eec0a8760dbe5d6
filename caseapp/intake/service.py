"""Creating a registration from a valid intake: one transaction, one place; and
finding it again by its status link, where the processor answers the team's requests."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Callable

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from .. import notifications, workflow
from ..changes import StaleRegistration, WorkflowError, record_event, transaction
from ..dates import utcnow
from ..extensions import db
from ..models import Director, ProcessorRequest, ReferenceCounter, Registration, hash_token
from ..process import Step

# The registration's columns that hold what the processor submitted (normalised).
INTAKE_FIELDS = (
    "processor_name",
    "processor_email",
    "employer_name",
    "contract_number",
    "payroll_tax_number",
    "loket_employer_id",
    "pay_frequency",
    "thirteenth_month",
)


@dataclass
class IntakeData:
    processor_name: str
    processor_email: str
    employer_name: str
    contract_number: str
    payroll_tax_number: str
    loket_employer_id: str
    pay_frequency: str
    thirteenth_month: bool
    contract_prefix_warning: bool
    directors: list[tuple[str, str]] = field(default_factory=list)


def next_reference(year: int) -> str:
    """AW-<year>-<seq>, unique under concurrent submissions.

    The counter row is incremented with a single UPDATE, which takes a row lock
    on PostgreSQL and the write lock on SQLite: two transactions never read the
    same value. The row for a new year is created on first use.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(
        insert(ReferenceCounter).values(year=year, last_value=0).on_conflict_do_nothing(index_elements=["year"])
    )
    value = db.session.execute(
        sa.update(ReferenceCounter)
        .where(ReferenceCounter.year == year)
        .values(last_value=ReferenceCounter.last_value + 1)
        .returning(ReferenceCounter.last_value)
    ).scalar_one()
    return f"AW-{year}-{value:05d}"


def same_employer_open(payroll_tax_number: str, loket_employer_id: str) -> sa.ColumnElement[bool]:
    """Open registrations with this payroll tax number or this Werkgever ID: possible duplicates."""
    return sa.and_(
        sa.or_(
            Registration.payroll_tax_number == payroll_tax_number,
            Registration.loket_employer_id == loket_employer_id,
        ),
        Registration.is_open,
    )


def open_duplicates(payroll_tax_number: str, loket_employer_id: str) -> list[str]:
    """References of open registrations with the same payroll tax number or Werkgever ID."""
    return list(
        db.session.scalars(
            sa.select(Registration.reference)
            .where(same_employer_open(payroll_tax_number, loket_employer_id))
            .order_by(Registration.id)
        )
    )


def new_status_token() -> str:
    return secrets.token_urlsafe(32)


def create_registration(data: IntakeData, token: str | None = None) -> tuple[Registration, str]:
    """Store a registration with its DGAs, a `submitted` event and its e-mail; commit.

    Returns the registration and the status-link token (only its hash is kept,
    so this is the one moment the token is known: the confirmation e-mail
    carries it). `token` is made here unless the caller chose it in advance
    (the check-answers step does, see create_registration_once).
    """
    token = token or new_status_token()
    now = utcnow()
    duplicates = open_duplicates(data.payroll_tax_number, data.loket_employer_id)
    registration = Registration(
        reference=next_reference(now.year),
        **{name: getattr(data, name) for name in INTAKE_FIELDS},
        prerequisites_confirmed_at=now,
        contract_prefix_warning=data.contract_prefix_warning,
        possible_duplicate=bool(duplicates),
        step=Step.RECEIVED.value,
        step_entered_at=now,
        ball_since=now,  # a.s.r. has it from the submission on
        status_token_hash=hash_token(token),
        created_at=now,
        updated_at=now,
        directors=[
            Director(position=index, name=name, personnel_number=number)
            for index, (name, number) in enumerate(data.directors)
        ],
    )
    db.session.add(registration)
    record_event(
        registration,
        "submitted",
        actor_label="processor",
        at=now,
        possible_duplicate_of=duplicates,
        contract_prefix_warning=data.contract_prefix_warning,
    )
    notifications.submitted(registration, token, possible_duplicate_of=duplicates)
    reference = registration.reference
    db.session.commit()
    # The commit expires everything. Callers show and log the reference, which
    # cannot have changed: keep it, instead of reading the row (and, through the
    # model's selectin, its DGAs) back for it.
    so.attributes.set_committed_value(registration, "reference", reference)
    return registration, token


def create_registration_once(data: IntakeData, token: str) -> tuple[Registration, bool]:
    """Store the registration under the status token chosen before the check page,
    unless one with that token exists already: (registration, True) when this call
    stored it, (the earlier registration, False) for a second submit of the same
    answers (a double click, a resent form, an old copy of the session cookie).

    The token's hash is a unique column, so this holds across processes and
    hosts: of two concurrent submits one INSERT fails, and its transaction (with
    its reference number, event and e-mail) is rolled back whole.
    """
    try:
        registration, _token = create_registration(data, token)
    except sa.exc.IntegrityError:
        db.session.rollback()
        existing = find_by_token(token)
        if existing is None:
            raise
        return existing, False
    return registration, True


def find_by_token(token: str, *, with_requests: bool = False) -> Registration | None:
    """The registration of a status link, without its DGAs (the public pages do not
    show them; they load on first use if that ever changes). `with_requests`: with
    the team's requests, their items and attachments (not the bytes), joined into
    the same statement, for the status page."""
    if not token or len(token) > 100:
        return None
    query = (
        sa.select(Registration)
        .where(Registration.status_token_hash == hash_token(token))
        .options(so.lazyload(Registration.directors))
    )
    if with_requests:
        requests = so.joinedload(Registration.requests)
        query = query.options(requests.joinedload(ProcessorRequest.items),
                              requests.joinedload(ProcessorRequest.attachment))
    return db.session.execute(query).unique().scalar_one_or_none()


def answer(token: str, values: dict[str, Any]) -> None:
    """Store the processor's answer to the open request of the registration behind
    this status link (workflow.answer_request). The same answer sent twice at once
    is one answer: the second finds it received (workflow.AnswerAlreadyReceived)."""
    _as_processor(token, lambda registration: workflow.answer_request(registration, **values))


def withdraw(token: str, reason: str) -> None:
    """The processor withdraws the registration behind this status link
    (workflow.withdraw_by_processor). Sent twice at once, the second finds it
    withdrawn already (workflow.AlreadyWithdrawn)."""
    _as_processor(token, lambda registration: workflow.withdraw_by_processor(registration, reason))


def _as_processor(token: str, change: Callable[[Registration], Any]) -> None:
    """One change by the processor, in one transaction. A change that lost the race
    on the registration's version (a double click) is tried once more on what is
    stored now, where the workflow says what the first one already did."""
    for attempt in range(2):
        registration = find_by_token(token)
        if registration is None:
            raise WorkflowError(str(_l("Deze aanmelding bestaat niet meer.")))
        try:
            with transaction():
                change(registration)
            return
        except StaleRegistration:
            if attempt:
                raise
