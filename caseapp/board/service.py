"""What the board shows, read in a fixed number of queries.

Whatever the number of registrations, a board costs:

1. one GROUP BY for the count of every column;
2. one query for the cards of every column at once: per column the oldest
   PAGE_SIZE + 1 in (step_entered_at, id) order, read along ix_registration_board
   and stopped there (the extra row only tells whether there is more), glued
   with UNION ALL; then, for those cards only, the assignee's name joined,
   "has a DGA" as a look-up of one director row, and the latest contact. Who
   has the ball since when is on the registration row (kept by the workflow),
   so the stale / due / ball-in-court line needs no query of its own;
3. at most two small look-ups (policy records of the cards in `policy`,
   authorisation checks of the cards in `setup`) so workflow.advance_requirements
   can say, per card, what the guard still needs. They run only for columns the
   user may move, so they depend on the role and the filters, never on the data.

Paging a column further is keyset pagination on (step_entered_at, id), the
order of the ix_registration_board index; never OFFSET.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any, Iterable, NamedTuple, Optional

import sqlalchemy as sa

from .. import permissions, process, workflow
from ..dates import local_date, utcnow
from ..extensions import db
from ..insight.rules import (
    CONTACT_COLUMNS,
    Insight,
    assess_row,
    latest_contact,
    stale_limit,
)
from ..models import (
    AuthorisationCheck,
    ContactLogEntry,
    Director,
    PolicyRecord,
    Registration,
    User,
)
from .filters import BoardFilters, filter_conditions

PAGE_SIZE = 50


# ---------------------------------------------------------------------------
# Cards and columns
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Position after a card in its column: (step_entered_at, id)."""

    entered_at: datetime
    id: int

    def __str__(self) -> str:
        return f"{self.entered_at:%Y%m%dT%H%M%S.%f}_{self.id}"

    @classmethod
    def parse(cls, raw: str) -> "Cursor":
        """Raises ValueError for anything that is not a cursor this module wrote."""
        stamp, _, ident = (raw or "").partition("_")
        return cls(datetime.strptime(stamp, "%Y%m%dT%H%M%S.%f"), int(ident))


class Card(NamedTuple):
    """Everything one card shows, as plain values, computed when the board is read.

    The card template reads nothing else about the registration, so two equal
    Cards render the same HTML (with the same kit): caseapp.board.kit caches a
    rendered card under its Card. Whatever depends on the clock is in here as
    the number the card shows (whole days, working days), so a card's HTML
    changes exactly when its Card does.
    """

    id: int
    reference: str
    employer_name: str
    processor_name: str
    contract_number: str
    step: str
    step_entered_at: datetime
    version: int
    assignee_name: Optional[str]
    possible_duplicate: bool
    contract_prefix_warning: bool
    has_dga: bool
    waiting_reason: Optional[str]
    is_waiting: bool
    is_withdrawn: bool
    # The processor answered the team's request and no staff member has acted since.
    answer_received: bool
    # The Dutch date the card entered its step, and whole days since then.
    entered_on: date
    days_in_step: int
    # Who has the ball ("asr", "keylane", "processor"; None: nobody) and for how
    # many whole days (None when unknown); the rules' flags (caseapp.insight.rules):
    # working days it has been lying still / waiting on the processor, only when
    # that is too long, and the passed follow-up date that makes it due.
    ball_party: Optional[str]
    ball_days: Optional[int]
    stale_days: Optional[int]
    due: Optional[date]
    waiting_days: Optional[int]
    # Working days the open request to the processor has been open, once escalated
    # (ESCALATION_WORKING_DAYS); None otherwise.
    escalated_days: Optional[int]
    # For the user reading the board (see _attach_requirements): where the card may
    # move, how many points the forward guard still misses, and whether the forward
    # move needs no confirmation (the guard holds and nothing pauses it).
    next_step: Optional[str] = None
    previous_step: Optional[str] = None
    open_points: int = 0
    ready: bool = False

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.step_entered_at, self.id)

    @property
    def can_advance(self) -> bool:
        return self.next_step is not None

    @property
    def can_go_back(self) -> bool:
        return self.previous_step is not None

    @property
    def has_badges(self) -> bool:
        return (
            self.is_withdrawn or self.possible_duplicate or self.is_waiting or self.answer_received
            or self.contract_prefix_warning or self.has_dga
        )


@dataclass
class Column:
    step: str
    count: int
    cards: list[Card]
    has_more: bool

    @property
    def label(self) -> Any:
        return process.STEP_LABELS[self.step]

    @property
    def owner(self) -> Optional[str]:
        return process.owner_of(self.step)

    @property
    def next_cursor(self) -> Optional[Cursor]:
        return self.cards[-1].cursor if self.has_more and self.cards else None


@dataclass
class Board:
    filters: BoardFilters
    counts: dict[str, int]
    columns: list[Column]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def column(self, step: str) -> Optional[Column]:
        return next((column for column in self.columns if column.step == step), None)


_CARD_COLUMNS = (
    Registration.id,
    Registration.reference,
    Registration.employer_name,
    Registration.processor_name,
    Registration.contract_number,
    Registration.step,
    Registration.step_entered_at,
    Registration.version,
    Registration.assignee_id,
    Registration.intake_checked,
    Registration.first_exchange_date,
    Registration.possible_duplicate,
    Registration.contract_prefix_warning,
    Registration.waiting_reason,
    Registration.waiting_since,
    Registration.withdrawn_at,
    Registration.ball_since,
    Registration.answer_received_at,
)


def count_per_step(filters: BoardFilters, user: User) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(Registration.step, sa.func.count())
        .where(*filter_conditions(filters, user))
        .group_by(Registration.step)
    ).all()
    found = dict(rows)
    return {step: found.get(step, 0) for step in filters.steps}


def _card_rows(
    filters: BoardFilters, user: User, steps: Iterable[str], after: Optional[Cursor] = None
) -> list[sa.Row]:
    """The first PAGE_SIZE + 1 cards of each of `steps` (after `after`, for one column).

    One SELECT per column, glued with UNION ALL into a single statement. Each
    part walks ix_registration_board (step, step_entered_at, id) in order and
    stops after PAGE_SIZE + 1 matching rows, so a column costs the same with 500
    registrations as with 50,000. (A ROW_NUMBER() window over all columns, what
    this replaced, numbers every matching row before keeping 51 per column.)
    """
    conditions = filter_conditions(filters, user)
    if after is not None:
        conditions.append(
            sa.or_(
                Registration.step_entered_at > after.entered_at,
                sa.and_(Registration.step_entered_at == after.entered_at, Registration.id > after.id),
            )
        )
    parts = [
        sa.select(*_CARD_COLUMNS)
        .where(*conditions, Registration.step == step)
        .order_by(Registration.step_entered_at, Registration.id)
        .limit(PAGE_SIZE + 1)
        for step in steps
    ]
    if len(parts) == 1:
        page = parts[0].subquery("page")
    else:
        # SQLite allows ORDER BY/LIMIT in a compound's parts only inside a subquery.
        page = sa.union_all(*(part.subquery().select() for part in parts)).subquery("page")
    # The assignee's name and "has a DGA" for the cards of the page only, outside the
    # LIMITs. "Has a DGA" is a look-up of one director row per card: PostgreSQL
    # turns an EXISTS here into a hash of every director in the database (40,000
    # rows at 50,000 registrations, ~10 ms on every board view); a scalar
    # subquery with LIMIT 1 it can only run per card, along ix_director_registration_id.
    has_dga = (
        sa.select(sa.literal(1)).where(Director.registration_id == page.c.id).limit(1).scalar_subquery()
    )
    # And the latest contact (for the stale and due flags): one index probe per card.
    statement = (
        sa.select(page, User.name.label("assignee_name"), has_dga.label("has_dga"), *CONTACT_COLUMNS)
        .outerjoin(User, User.id == page.c.assignee_id)
        .outerjoin(ContactLogEntry, ContactLogEntry.id == latest_contact(page.c.id))
    )
    rows = db.session.execute(statement).all()
    order = {step: index for index, step in enumerate(process.STEPS)}
    rows.sort(key=lambda row: (order[row.step], row.step_entered_at, row.id))
    return rows


# The Card fields that are the card row's columns as they are.
_AS_READ = (
    "id", "reference", "employer_name", "processor_name", "contract_number", "step", "step_entered_at", "version",
    "assignee_name", "waiting_reason",
)


def _card(row: sa.Row, today: date, insight: Insight) -> Card:
    entered_on = local_date(row.step_entered_at)
    held = insight.clock.active_for
    return Card(
        **{name: getattr(row, name) for name in _AS_READ},
        possible_duplicate=bool(row.possible_duplicate),
        contract_prefix_warning=bool(row.contract_prefix_warning),
        has_dga=bool(row.has_dga),
        is_waiting=row.waiting_since is not None,
        is_withdrawn=row.withdrawn_at is not None,
        answer_received=row.answer_received_at is not None,
        entered_on=entered_on,
        days_in_step=max((today - entered_on).days, 0),
        ball_party=insight.clock.active_party,
        ball_days=None if held is None else int(held.total_seconds() // 86400),
        stale_days=insight.stale_days if insight.stale else None,
        due=insight.due,
        waiting_days=insight.waiting_days if insight.waiting_long else None,
        escalated_days=insight.escalated_days,
    )


def _attach_requirements(rows: list[sa.Row], cards: list[Card], user: User, steps: Iterable[str]) -> list[Card]:
    """Where this user may move each card, and what the forward guard still needs.

    workflow.advance_requirements is the one place the guards live; it reads a
    registration's step, assignee, intake check, first-exchange date, policy
    records and checks. Those are given to it here from the card rows plus one
    look-up per kind, instead of loading every registration with its children.
    """
    movable = {step for step in steps if permissions.acts_in_step(user, step)}
    policies: dict[int, list[Any]] = {}
    checks: dict[int, list[Any]] = {}
    if "policy" in movable:
        ids = [row.id for row in rows if row.step == "policy"]
        for policy in db.session.execute(
            sa.select(
                PolicyRecord.registration_id, PolicyRecord.policy_number, PolicyRecord.scheme, PolicyRecord.start_date
            ).where(PolicyRecord.registration_id.in_(ids))
        ):
            policies.setdefault(policy.registration_id, []).append(policy)
    if "setup" in movable:
        ids = [row.id for row in rows if row.step == "setup"]
        for check in db.session.execute(
            sa.select(AuthorisationCheck.registration_id, AuthorisationCheck.key).where(
                AuthorisationCheck.registration_id.in_(ids)
            )
        ):
            checks.setdefault(check.registration_id, []).append(SimpleNamespace(key=check.key))
    placed = []
    for row, card in zip(rows, cards):
        if card.step not in movable or card.is_withdrawn:
            placed.append(card)
            continue
        target = process.next_step(card.step)
        missing: list[str] = []
        if target is not None:
            facts = SimpleNamespace(
                step=row.step,
                assignee_id=row.assignee_id,
                intake_checked=row.intake_checked,
                first_exchange_date=row.first_exchange_date,
                policies=policies.get(row.id, []),
                checks=checks.get(row.id, []),
            )
            missing = workflow.advance_requirements(facts)  # type: ignore[arg-type]
        placed.append(card._replace(
            next_step=target,
            previous_step=process.previous_step(card.step),
            open_points=len(missing),
            ready=target is not None and not missing and not card.is_waiting,
        ))
    return placed


def _cards(rows: list[sa.Row], user: User, steps: Iterable[str]) -> list[Card]:
    now = utcnow()
    today = local_date(now)
    limit = stale_limit()
    cards = [_card(row, today, assess_row(row, now, today, limit)) for row in rows]
    return _attach_requirements(rows, cards, user, steps)


def load_board(filters: BoardFilters, user: User, only: Optional[Iterable[str]] = None) -> Board:
    """Counts for every visible column; cards for those in `only` (default: all)."""
    counts = count_per_step(filters, user)
    shown = None if only is None else set(only)
    steps = [step for step in filters.steps if shown is None or step in shown]
    rows = _card_rows(filters, user, steps) if steps else []
    cards = _cards(rows, user, steps)
    by_step: dict[str, list[Card]] = {step: [] for step in steps}
    for card in cards:
        by_step[card.step].append(card)
    columns = [
        Column(step=step, count=counts[step], cards=by_step[step][:PAGE_SIZE], has_more=len(by_step[step]) > PAGE_SIZE)
        for step in steps
    ]
    return Board(filters=filters, counts=counts, columns=columns)


def load_column_page(filters: BoardFilters, user: User, step: str, after: Cursor) -> Column:
    """The next PAGE_SIZE cards of one column, after `after` (its count is not needed)."""
    rows = _card_rows(filters, user, [step], after=after)
    cards = _cards(rows, user, [step])
    return Column(step=step, count=-1, cards=cards[:PAGE_SIZE], has_more=len(cards) > PAGE_SIZE)
