"""Personal data retention: `flask --app wsgi retention purge --older-than MONTHS`.

A registration that has been live (step `live`, since `live_at`) or withdrawn
(since `withdrawn_at`) for longer than MONTHS loses its personal and company data;
what is left is an anonymised record for the statistics:

kept     reference, step and step dates, created/realised/live/withdrawn dates, first
         exchange date, pay frequency, 13th month, the triage flags, the policy
         records' scheme and start date, the ticked checks, the contact log's
         channels and dates, the events' kinds, actors, dates and non-personal values
cleared  processor name and e-mail, employer name, payroll tax number, Werkgever ID,
         contract number (it identifies the employer's contract at a.s.r.), the
         waiting and withdrawal reasons (free text), the DGAs (deleted; their number
         is recorded), policy numbers and notes, contact names and summaries, the
         messages of the team's requests and the comments of the processor's answers
         (the requests' items, answers and dates are kept), the answers' attachments
         (deleted), personal values inside events, the subject, body, recipient and
         last error of the registration's e-mails; the status link stops working

Each purge records a `personal_data_purged` event with the counts and sets
`anonymised_at`, which also makes the purge idempotent. The audit trail is
append-only for the app; this purge is the one deliberate exception, because
keeping personal data past its retention period is not allowed either.
"""

from __future__ import annotations

import calendar
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from .changes import record_event
from .dates import utcnow
from .extensions import db
from .models import (
    Attachment,
    ContactLogEntry,
    Event,
    OutboxMessage,
    PolicyRecord,
    ProcessorRequest,
    Registration,
    hash_token,
)
from .process import REQUEST_ITEM_KEYS, ROLES, STEPS, Answer, ContactChannel

REMOVED = "[verwijderd]"
PURGED_EVENT = "personal_data_purged"


@dataclass(frozen=True)
class Candidate:
    id: int
    reference: str
    reason: str  # "live" or "withdrawn"
    since: datetime


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (clamped to month end)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def candidates(older_than_months: int, now: datetime | None = None) -> list[Candidate]:
    """Registrations live or withdrawn for longer than that, not yet anonymised."""
    cutoff = months_before(now or utcnow(), older_than_months)
    live = sa.and_(Registration.step == "live", Registration.live_at < cutoff)
    withdrawn = Registration.withdrawn_at < cutoff
    rows = db.session.execute(
        sa.select(Registration.id, Registration.reference, Registration.step, Registration.live_at,
                  Registration.withdrawn_at)
        .where(Registration.anonymised_at.is_(None), sa.or_(live, withdrawn))
        .order_by(Registration.id)
    )
    result = []
    for row in rows:
        if row.withdrawn_at is not None and row.withdrawn_at < cutoff:
            result.append(Candidate(row.id, row.reference, "withdrawn", row.withdrawn_at))
        else:
            result.append(Candidate(row.id, row.reference, "live", row.live_at))
    return result


def purge(older_than_months: int, now: datetime | None = None) -> list[Candidate]:
    """Purge every candidate, each in its own transaction; returns those purged."""
    purged = []
    for candidate in candidates(older_than_months, now):
        if purge_registration(candidate.id, older_than_months):
            purged.append(candidate)
    return purged


def purge_registration(registration_id: int, older_than_months: int) -> bool:
    """Remove the personal data of one registration and commit. False if another
    run got there first."""
    registration = db.session.scalar(
        sa.select(Registration)
        .where(Registration.id == registration_id, Registration.anonymised_at.is_(None))
        .with_for_update()
    )
    if registration is None:
        db.session.rollback()
        return False
    personal = _personal_values(registration)
    counts = {
        "directors": _delete_directors(registration),
        "policies": _blank(PolicyRecord, registration, policy_number="", note=None),
        "contacts": _blank(ContactLogEntry, registration, with_whom="", summary=""),
        "requests": _blank(ProcessorRequest, registration, message="", answer_comment=None),
        "attachments": _delete_attachments(registration),
        "events": _scrub_events(registration, personal),
        "messages": _clear_messages(registration),
    }
    _clear_registration(registration)
    record_event(registration, PURGED_EVENT, actor_label="system", older_than_months=older_than_months, **counts)
    db.session.commit()
    return True


def _personal_values(registration: Registration) -> set[str]:
    """The strings of this registration that must not survive anywhere."""
    values = {
        registration.processor_name, registration.processor_email, registration.employer_name,
        registration.contract_number, registration.payroll_tax_number, registration.loket_employer_id,
        registration.waiting_reason, registration.withdrawn_reason,
    }
    for director in registration.directors:
        values.update({director.name, director.personnel_number})
    return {value for value in values if value}


def _clear_registration(registration: Registration) -> None:
    registration.processor_name = ""
    registration.processor_email = ""
    registration.employer_name = ""
    registration.contract_number = ""
    registration.payroll_tax_number = ""
    registration.loket_employer_id = ""
    registration.waiting_reason = None
    registration.withdrawn_reason = None
    # The hash of a token nobody has: the old status link now answers 404.
    registration.status_token_hash = hash_token(secrets.token_urlsafe(32))
    registration.anonymised_at = utcnow()


def _delete_directors(registration: Registration) -> int:
    count = len(registration.directors)
    registration.directors.clear()
    return count


def _blank(model: Any, registration: Registration, **values: Any) -> int:
    """Overwrite `values` in the registration's rows of `model`; returns how many rows."""
    result = db.session.execute(sa.update(model).where(model.registration_id == registration.id).values(**values))
    return result.rowcount


def _delete_attachments(registration: Registration) -> int:
    requests = sa.select(ProcessorRequest.id).where(ProcessorRequest.registration_id == registration.id)
    result = db.session.execute(sa.delete(Attachment).where(Attachment.request_id.in_(requests)))
    return result.rowcount


def _clear_messages(registration: Registration) -> int:
    messages = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.registration_id == registration.id))
    count = 0
    for message in messages:
        if message.status == "queued":
            message.status = "failed"  # never sent now: it has no recipient any more
        message.recipient = ""
        message.subject = ""
        message.body_text = ""
        message.body_html = None
        message.last_error = None
        count += 1
    return count


def _scrub_events(registration: Registration, personal: set[str]) -> int:
    events = db.session.scalars(sa.select(Event).where(Event.registration_id == registration.id))
    vocabulary = _vocabulary()
    count = 0
    for event in events:
        event.data = scrub(event.data or {}, personal, vocabulary)
        count += 1
    return count


# --- scrubbing event data ---------------------------------------------------------------
#
# Event data is free-form JSON written by whoever records the event (before/after of
# edits, reasons, ...). Deny by default: a string survives only if it is known
# vocabulary (a step, a field or check name, a reference, a date) and is not one of
# the registration's personal values. Keys, numbers, booleans and None are kept.

_REFERENCE = re.compile(r"^AW-\d{4}-\d{5}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$")


@lru_cache(maxsize=1)  # the same for every registration of a purge run: the code's own words
def _vocabulary() -> frozenset[str]:
    column_names = {
        column.name for table in db.metadata.sorted_tables for column in table.columns
    }
    return frozenset(
        set(STEPS) | set(REQUEST_ITEM_KEYS) | set(Answer.values()) | set(ContactChannel.values()) | set(ROLES)
        | column_names
        | {"monthly", "four_weekly", "yes", "no", "processor", "system", "queued", "sent", "failed", REMOVED}
    )


def _folded(value: str) -> str:
    return value.strip().lower()


def _keeps(value: str, personal: frozenset[str], vocabulary: frozenset[str]) -> bool:
    """`personal` folded with _folded."""
    if _folded(value) in personal:
        return False
    return value in vocabulary or bool(_REFERENCE.match(value) or _ISO_DATE.match(value))


def scrub(data: Any, personal: set[str], vocabulary: frozenset[str] | None = None) -> Any:
    """A copy of `data` with every string that may be personal replaced by REMOVED."""
    folded = frozenset(_folded(item) for item in personal)
    return _scrub(data, folded, vocabulary if vocabulary is not None else _vocabulary())


def _scrub(data: Any, personal: frozenset[str], vocabulary: frozenset[str]) -> Any:
    if isinstance(data, dict):
        return {key: _scrub(value, personal, vocabulary) for key, value in data.items()}
    if isinstance(data, list):
        return [_scrub(value, personal, vocabulary) for value in data]
    if isinstance(data, str):
        return data if _keeps(data, personal, vocabulary) else REMOVED
    return data


# --- CLI ----------------------------------------------------------------------------------

retention_cli = AppGroup("retention", help="Personal data retention.")


@retention_cli.command("purge")
@click.option("--older-than", "months", type=click.IntRange(min=1), required=True, metavar="MONTHS",
              help="Purge registrations live or withdrawn for longer than this many months.")
@click.option("--dry-run", is_flag=True, help="Only list what would be purged.")
def purge_command(months: int, dry_run: bool) -> None:
    """Remove the personal data of registrations closed for longer than MONTHS."""
    if dry_run:
        found = candidates(months)
        for candidate in found:
            click.echo(f"would purge {candidate.reference} ({candidate.reason} since {candidate.since:%Y-%m-%d})")
        click.echo(f"{len(found)} registration(s) would be purged.")
        return
    purged = purge(months)
    for candidate in purged:
        click.echo(f"purged {candidate.reference} ({candidate.reason} since {candidate.since:%Y-%m-%d})")
    click.echo(f"{len(purged)} registration(s) purged.")
