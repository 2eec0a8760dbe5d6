"""Stale and due: the two rules that say a registration needs someone today.

- **Stale**: the team that owns the step has had the registration for more
  than STALE_WORKING_DAYS working days (config, default 5) without a step
  change or a logged contact. In `realised` (waiting for the first exchange)
  the count starts no earlier than the first-exchange date: a link that waits
  for its date is not stuck, one whose date has passed unconfirmed can be.
- **Due**: the latest contact log entry has a follow-up date that is today or
  earlier (Europe/Amsterdam). Logging a later contact answers it.
- **Escalated**: a request to the processor has been open for
  ESCALATION_WORKING_DAYS working days (config, default 10) or more, counted
  from the request's Dutch date (registration.waiting_since, set with it); the
  reminders (caseapp.reminders) went out before that.

Working days are caseapp.dates' (Monday to Friday minus the Dutch public
holidays of the Algemene termijnenwet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Optional, Union

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from ..dates import local_date, working_days_between
from ..extensions import db
from ..models import ContactLogEntry, Registration
from ..process import STEP_OWNERS, party_for
from .clocks import Clock, IdSource

DEFAULT_STALE_WORKING_DAYS = 5
DEFAULT_ESCALATION_WORKING_DAYS = 10


# ---------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------


def stale_limit() -> int:
    return int(current_app.config.get("STALE_WORKING_DAYS", DEFAULT_STALE_WORKING_DAYS))


def escalation_limit() -> int:
    return int(current_app.config.get("ESCALATION_WORKING_DAYS", DEFAULT_ESCALATION_WORKING_DAYS))


def escalated_working_days(
    waiting_since: Optional[datetime], withdrawn: bool, today: date, limit: int
) -> Optional[int]:
    """Working days the open request has been open, when that is `limit` or more; else None."""
    if waiting_since is None or withdrawn:
        return None
    days = working_days_between(local_date(waiting_since), today)
    return days if days >= limit else None


def last_activity(clock: Clock, last_contact_at: Optional[datetime]) -> Optional[datetime]:
    """When the owning team last got the ball, changed the step or logged a contact."""
    moments = [m for m in (clock.active_since, clock.step_entered_at, last_contact_at) if m is not None]
    return max(moments) if moments else None


def stale_working_days(
    clock: Clock, last_contact_at: Optional[datetime], today: date, first_exchange_date: Optional[date] = None
) -> Optional[int]:
    """Working days the owning team has been sitting on it, or None when no team has the ball.

    In `realised` the work is waiting for the first exchange: Keylane only
    sits on it once that date has passed (and the step is not confirmed).
    """
    if clock.active_party is None or clock.active_party != STEP_OWNERS.get(clock.step or ""):
        return None  # live, withdrawn, or waiting on the processor
    since = last_activity(clock, last_contact_at)
    if since is None:
        return None
    since_date = local_date(since)
    if clock.step == "realised" and first_exchange_date is not None:
        since_date = max(since_date, first_exchange_date)
    return working_days_between(since_date, today)


def due_follow_up(contact: Optional[ContactSummary], today: date) -> Optional[date]:
    """The follow-up date that makes a registration due today, or None.

    Only the latest contact counts: a contact logged after the one that asked
    for a follow-up is the follow-up.
    """
    if contact is None or contact.follow_up_date is None:
        return None
    return contact.follow_up_date if contact.follow_up_date <= today else None


def waiting_working_days(clock: Clock, today: date) -> Optional[int]:
    """Working days the processor has had the ball, or None when it does not have it."""
    if clock.active_party != "processor" or clock.active_since is None:
        return None
    return working_days_between(local_date(clock.active_since), today)


# ---------------------------------------------------------------------------
# Who has the ball now, as the registration row keeps it
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ball:
    """The present of a registration's clock, read from its row (no event replay).

    It answers what the rules and the ball-in-court line ask of a clock, under
    the same names as clocks.Clock: step, active_party, active_since,
    step_entered_at, withdrawn, active_for.
    """

    now: datetime
    step: str
    active_party: Optional[str]
    active_since: Optional[datetime]
    step_entered_at: Optional[datetime]
    withdrawn: bool

    @property
    def active_for(self) -> Optional[timedelta]:
        if self.active_party is None or self.active_since is None:
            return None
        return max(self.now - self.active_since, timedelta(0))


def ball_of(row: Any, now: datetime) -> Ball:
    """The ball of a row with a registration's step, step_entered_at, waiting_since,
    withdrawn_at and ball_since columns (a model instance or a result row)."""
    withdrawn = row.withdrawn_at is not None
    return Ball(
        now=now,
        step=row.step,
        active_party=party_for(row.step, row.waiting_since is not None, withdrawn),
        active_since=row.ball_since,
        step_entered_at=row.step_entered_at,
        withdrawn=withdrawn,
    )


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactSummary:
    """The latest contact log entry of a registration (what the rules need of it)."""

    occurred_at: datetime
    follow_up_date: Optional[date]
    with_whom: str


def latest_contact(registration_id: sa.ColumnElement[int]) -> sa.ScalarSelect:
    """The latest contact of the registration `registration_id` (a column of the
    enclosing query), to LEFT JOIN on `latest.c.id.is_not(None)`: one probe at
    the end of ix_contact_log_entry_latest per registration, however many
    contacts it has."""
    contact = so.aliased(ContactLogEntry)  # not the contact_log_entry the enclosing query joins
    return (
        sa.select(contact.id)
        .where(contact.registration_id == registration_id)
        .order_by(contact.occurred_at.desc(), contact.id.desc())
        .limit(1)
        .correlate_except(contact)
        .scalar_subquery()
    )


# The columns of `contact_log_entry` a query joined with latest_contact() selects,
# under the names contact_summary() reads.
CONTACT_COLUMNS = (
    ContactLogEntry.occurred_at.label("contact_at"),
    ContactLogEntry.follow_up_date.label("contact_follow_up"),
    ContactLogEntry.with_whom.label("contact_with"),
)


# What assess_row reads of a registration besides its latest contact.
RULE_COLUMNS = (
    Registration.step,
    Registration.step_entered_at,
    Registration.waiting_since,
    Registration.withdrawn_at,
    Registration.ball_since,
    Registration.first_exchange_date,
)


def with_rule_facts(statement: sa.Select) -> sa.Select:
    """`statement`, a SELECT from registration, with what assess_row reads: the
    RULE_COLUMNS and the CONTACT_COLUMNS of each registration's latest contact.
    `statement` must not select RULE_COLUMNS itself."""
    return statement.add_columns(*RULE_COLUMNS, *CONTACT_COLUMNS).outerjoin(
        ContactLogEntry, ContactLogEntry.id == latest_contact(Registration.id)
    )


def contact_summary(row: Any) -> Optional[ContactSummary]:
    if row.contact_at is None:
        return None
    return ContactSummary(row.contact_at, row.contact_follow_up, row.contact_with)


# ---------------------------------------------------------------------------
# Everything at once, for lists (board cards, /my, the digest)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Insight:
    """What the rules say about one registration today."""

    clock: Union[Clock, Ball]
    contact: Optional[ContactSummary]
    stale_days: Optional[int]  # working days the owning team has held it; None if no team has it
    stale: bool
    due: Optional[date]  # the passed follow-up date that makes it due
    waiting_days: Optional[int]  # working days waiting on the processor; None if not waiting
    waiting_long: bool
    # Working days the open request has been open, only once it is escalated.
    escalated_days: Optional[int] = None

    @property
    def escalated(self) -> bool:
        return self.escalated_days is not None


def assess(
    clock: Union[Clock, Ball],
    contact: Optional[ContactSummary],
    today: date,
    limit: int,
    first_exchange_date: Optional[date] = None,
    waiting_since: Optional[datetime] = None,
    escalation: int = DEFAULT_ESCALATION_WORKING_DAYS,
) -> Insight:
    """Apply the stale, due, waiting and escalation rules to one registration (pure).
    `waiting_since`: when the open request was made; `escalation`: its limit."""
    open_ = clock.step is not None and clock.active_party is not None
    stale_days = stale_working_days(clock, contact.occurred_at if contact else None, today, first_exchange_date)
    waiting_days = waiting_working_days(clock, today)
    return Insight(
        clock=clock,
        contact=contact,
        stale_days=stale_days,
        stale=stale_days is not None and stale_days > limit,
        due=due_follow_up(contact, today) if open_ else None,
        waiting_days=waiting_days,
        waiting_long=waiting_days is not None and waiting_days > limit,
        escalated_days=escalated_working_days(waiting_since, clock.withdrawn, today, escalation),
    )


def assess_row(row: Any, now: datetime, today: date, limit: int) -> Insight:
    """assess() for a row with the registration columns ball_of() reads, its
    first_exchange_date, and the CONTACT_COLUMNS of its latest contact."""
    return assess(ball_of(row, now), contact_summary(row), today, limit, row.first_exchange_date, row.waiting_since,
                  escalation_limit())


def load_insight(ids: IdSource, now: datetime, limit: Optional[int] = None) -> dict[int, Insight]:
    """The rules for many registrations with ONE query: their rows (who has the
    ball since when, kept by the workflow) and each one's latest contact.

    `ids` is a list of registration ids or a SELECT of ids. `now` is the present:
    the rows say who has the ball now, not at another moment.
    """
    if not isinstance(ids, sa.Select):
        ids = list(ids)
        if not ids:
            return {}
    limit = stale_limit() if limit is None else limit
    rows = db.session.execute(with_rule_facts(sa.select(Registration.id)).where(Registration.id.in_(ids)))
    today = local_date(now)
    return {row.id: assess_row(row, now, today, limit) for row in rows}
