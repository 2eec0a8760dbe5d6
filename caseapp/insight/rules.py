"""Stale and due: the two rules that say a registration needs someone today.

- **Stale**: the team that owns the step has had the registration for more
  than STALE_WORKING_DAYS working days (config, default 5) without a step
  change or a logged contact. In `realised` (waiting for the first exchange)
  the count starts no earlier than the first-exchange date: a link that waits
  for its date is not stuck, one whose date has passed unconfirmed can be.
- **Due**: the latest contact log entry has a follow-up date that is today or
  earlier (Europe/Amsterdam). Logging a later contact answers it.

Working days are Monday to Friday minus the Dutch public holidays of the
Algemene termijnenwet (the legal list of "algemeen erkende feestdagen":
Nieuwjaarsdag, tweede paasdag, Koningsdag, 5 mei, Hemelvaartsdag, tweede
pinksterdag, eerste en tweede kerstdag). Goede Vrijdag is not on that list and
counts as a working day. The arithmetic is plain functions over dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any, Optional, Union
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from ..extensions import db
from ..models import ContactLogEntry, Registration
from ..workflow import STEP_OWNERS, party_for
from .clocks import Clock, IdSource

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DEFAULT_STALE_WORKING_DAYS = 5


# ---------------------------------------------------------------------------
# Time zones: the database keeps naive UTC; the teams live in Amsterdam.
# ---------------------------------------------------------------------------


def local_date(moment: datetime) -> date:
    """The Amsterdam calendar date of a naive-UTC timestamp."""
    return moment.replace(tzinfo=timezone.utc).astimezone(AMSTERDAM).date()


def local_midnight_utc(day: date) -> datetime:
    """The naive-UTC instant at which `day` starts in Amsterdam."""
    return datetime.combine(day, time(0), tzinfo=AMSTERDAM).astimezone(timezone.utc).replace(tzinfo=None)


# ---------------------------------------------------------------------------
# Working days
# ---------------------------------------------------------------------------


def easter_sunday(year: int) -> date:
    """Western Easter (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7  # noqa: E741 (the algorithm's own name)
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def dutch_holidays(year: int) -> frozenset[date]:
    """The algemeen erkende feestdagen of the Algemene termijnenwet in `year`."""
    easter = easter_sunday(year)
    kings_day = date(year, 4, 27)
    if kings_day.weekday() == 6:  # on a Sunday it moves to Saturday
        kings_day = date(year, 4, 26)
    return frozenset(
        {
            date(year, 1, 1),
            easter + timedelta(days=1),  # tweede paasdag
            kings_day,
            date(year, 5, 5),  # Bevrijdingsdag
            easter + timedelta(days=39),  # Hemelvaartsdag
            easter + timedelta(days=50),  # tweede pinksterdag
            date(year, 12, 25),
            date(year, 12, 26),
        }
    )


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in dutch_holidays(day.year)


@lru_cache(maxsize=4096)  # a board asks it for 250 cards, mostly the same few hundred date pairs
def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start).

    So something that happened on Friday has been waiting 1 working day on
    Monday, and 5 on the Friday after.
    """
    if end <= start:
        return 0
    total = 0
    day = start + timedelta(days=1)
    # Whole weeks at once, then the rest day by day; holidays subtracted after.
    full_weeks, rest = divmod((end - day).days + 1, 7)
    total += full_weeks * 5
    for offset in range(rest):
        if (day + timedelta(days=full_weeks * 7 + offset)).weekday() < 5:
            total += 1
    for year in range(start.year, end.year + 1):
        total -= sum(1 for holiday in dutch_holidays(year) if start < holiday <= end and holiday.weekday() < 5)
    return total


def add_working_days(start: date, count: int) -> date:
    """The date `count` working days after `start` (count >= 0)."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


# ---------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------


def stale_limit() -> int:
    return int(current_app.config.get("STALE_WORKING_DAYS", DEFAULT_STALE_WORKING_DAYS))


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


def assess(
    clock: Union[Clock, Ball],
    contact: Optional[ContactSummary],
    today: date,
    limit: int,
    first_exchange_date: Optional[date] = None,
) -> Insight:
    """Apply the stale, due and waiting rules to one registration (pure)."""
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
    )


def assess_row(row: Any, now: datetime, today: date, limit: int) -> Insight:
    """assess() for a row with the registration columns ball_of() reads, its
    first_exchange_date, and the CONTACT_COLUMNS of its latest contact."""
    return assess(ball_of(row, now), contact_summary(row), today, limit, row.first_exchange_date)


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
