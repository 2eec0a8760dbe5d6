"""Ball-in-court clocks: who has had a registration, and for how long.

Everything here is derived from the event trail, so the answer is as right for
last year as for today. The core is a pure function over plain data:

    events = [(created_at, kind, data), ...]   # oldest first, naive UTC
    clock = compute_clock(events, now)

Time is attributed to the party that has to act:

- a.s.r. while the step is `received` or `policy`,
- Keylane while the step is `setup` or `realised`,
- the processor while the registration waits on the processor
  (`waiting_set` .. `waiting_cleared` or the processor's `request_answered`;
  this pauses the owning team's clock),
- nobody while withdrawn (`withdrawn` .. `reopened`) or once `live`.

Per-step time is wall-clock time in the step, waiting included, withdrawn
periods excluded. Who has to act in a state is process.party_for; the
registration row keeps the current holder's start as `ball_since`, which
`active_since` here must agree with.

`load_clocks(ids, now)` computes clocks for many registrations with one query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any, Iterable, Iterator, Mapping, Optional, Sequence, Union

import sqlalchemy as sa

from ..extensions import db
from ..models import Event
from ..process import OPEN_STEPS, STEPS, party_for

PARTIES = ("asr", "keylane", "processor")
# The kinds that move the ball; other events (assigned, contact_logged, ...) do not.
# The processor's answer to a request (`request_answered`) ends the wait as `waiting_cleared` does.
CLOCK_EVENT_KINDS = (
    "submitted", "step_changed", "waiting_set", "waiting_cleared", "request_answered", "withdrawn", "reopened",
)

EventRow = tuple[datetime, str, Optional[Mapping[str, Any]]]
ZERO = timedelta(0)


@dataclass(frozen=True)
class Segment:
    """A stretch of time [start, end) in one state."""

    start: datetime
    end: datetime
    step: str
    party: Optional[str]
    waiting: bool
    withdrawn: bool

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Transition:
    at: datetime
    from_step: str
    to_step: str
    back: bool


@dataclass(frozen=True)
class Timeline:
    """The replayed history of one registration, up to `now`."""

    now: datetime
    submitted_at: Optional[datetime]
    segments: tuple[Segment, ...]
    transitions: tuple[Transition, ...]
    first_entered: Mapping[str, datetime]
    step: Optional[str]
    waiting: bool
    withdrawn: bool
    state_since: Optional[datetime]  # time of the last event that changed the state

    def step_at(self, moment: datetime) -> Optional[tuple[str, bool]]:
        """(step, withdrawn) at `moment`, or None before submission / after now."""
        for segment in self.segments:
            if segment.start <= moment < segment.end:
                return segment.step, segment.withdrawn
        return None

    def party_totals(self, until: Optional[datetime] = None) -> dict[str, timedelta]:
        """Time per party, optionally only the part before `until`."""
        totals = {party: ZERO for party in PARTIES}
        for segment in self.segments:
            if segment.party is None:
                continue
            end = segment.end if until is None else min(segment.end, until)
            if end > segment.start:
                totals[segment.party] += end - segment.start
        return totals

    def step_totals(self, until: Optional[datetime] = None) -> dict[str, timedelta]:
        """Time per open step (waiting included, withdrawn excluded), optionally before `until`."""
        totals = {step: ZERO for step in OPEN_STEPS}
        for segment in self.segments:
            if segment.withdrawn or segment.step not in totals:
                continue
            end = segment.end if until is None else min(segment.end, until)
            if end > segment.start:
                totals[segment.step] += end - segment.start
        return totals


@dataclass(frozen=True)
class Clock:
    """The clocks of one registration at `now`."""

    now: datetime
    step: Optional[str]
    waiting: bool
    withdrawn: bool
    by_party: Mapping[str, timedelta]
    by_step: Mapping[str, timedelta]
    active_party: Optional[str]  # "asr", "keylane", "processor" or None (nobody)
    active_since: Optional[datetime]  # since when the active party has had the ball without a break
    submitted_at: Optional[datetime]
    step_entered_at: Optional[datetime]  # last submission or step change
    timeline: Timeline = field(repr=False, compare=False)

    @property
    def active_for(self) -> Optional[timedelta]:
        """How long the active party has had the ball (None when nobody has it)."""
        if self.active_party is None or self.active_since is None:
            return None
        return max(self.now - self.active_since, ZERO)


def replay(events: Iterable[EventRow], now: datetime) -> Timeline:
    """Replay an ordered event trail up to `now` into segments and transitions.

    Events after `now` are ignored (so `replay(events, t)` is the history as it
    stood at t). The history starts at the first event that moves the ball,
    normally `submitted`; the first state is the `received` step. A timestamp
    earlier than the one before it (clock skew between hosts) counts as the same
    moment rather than as negative time.
    """
    return _replay(
        (
            (at, kind, *((data or {}).get(key) for key in ("from", "to", "direction")))
            if kind == "step_changed"
            else (at, kind, None, None, None)
            for at, kind, data in events
        ),
        now,
    )


def _replay(rows: Iterable[tuple], now: datetime) -> Timeline:
    """replay() over (at, kind, from, to, direction) rows, as the loaders read them."""
    segments: list[Segment] = []
    transitions: list[Transition] = []
    first_entered: dict[str, datetime] = {}
    step: Optional[str] = None
    waiting = withdrawn = False
    current: Optional[datetime] = None
    submitted_at: Optional[datetime] = None

    def close(until: datetime) -> None:
        if step is None or current is None or until <= current:
            return
        party = party_for(step, waiting, withdrawn)
        previous = segments[-1] if segments else None
        if (
            previous is not None
            and previous.end == current
            and (previous.step, previous.party, previous.waiting, previous.withdrawn)
            == (step, party, waiting, withdrawn)
        ):
            segments[-1] = Segment(previous.start, until, step, party, waiting, withdrawn)
        else:
            segments.append(Segment(current, until, step, party, waiting, withdrawn))

    for at, kind, from_step, to_step, direction in rows:
        if kind not in CLOCK_EVENT_KINDS or at > now:
            continue
        if current is not None and at < current:
            at = current
        if step is None:
            step = "received"
            submitted_at = at
            first_entered["received"] = at
            current = at
        else:
            close(at)
            current = at

        if kind == "step_changed":
            from_step = from_step or step
            if to_step in STEPS and to_step != step:
                back = direction == "back" or (
                    from_step in STEPS and STEPS.index(to_step) < STEPS.index(from_step)
                )
                transitions.append(Transition(at, step, to_step, back))
                step = to_step
                first_entered.setdefault(step, at)
        elif kind == "waiting_set":
            waiting = True
        elif kind in ("waiting_cleared", "request_answered"):
            waiting = False
        elif kind == "withdrawn":
            withdrawn = True
        elif kind == "reopened":
            withdrawn = False

    if current is not None:
        close(now)
    return Timeline(
        now=now,
        submitted_at=submitted_at,
        segments=tuple(segments),
        transitions=tuple(transitions),
        first_entered=first_entered,
        step=step,
        waiting=waiting,
        withdrawn=withdrawn,
        state_since=current,
    )


def clock_from_timeline(timeline: Timeline) -> Clock:
    active = party_for(timeline.step, timeline.waiting, timeline.withdrawn)
    active_since = None
    if active is not None:
        active_since = timeline.state_since
        for segment in reversed(timeline.segments):
            if segment.party != active:
                break
            active_since = segment.start
    step_entered_at = timeline.transitions[-1].at if timeline.transitions else timeline.submitted_at
    return Clock(
        now=timeline.now,
        step=timeline.step,
        waiting=timeline.waiting,
        withdrawn=timeline.withdrawn,
        by_party=timeline.party_totals(),
        by_step=timeline.step_totals(),
        active_party=active,
        active_since=active_since,
        submitted_at=timeline.submitted_at,
        step_entered_at=step_entered_at,
        timeline=timeline,
    )


def compute_clock(events: Iterable[EventRow], now: datetime) -> Clock:
    """The clocks of one registration from its ordered event trail, at `now`."""
    return clock_from_timeline(replay(events, now))


def ball_since_after(events: Iterable[EventRow]) -> Optional[datetime]:
    """What registration.ball_since is after this whole trail: since when the party
    that has to act has had it (the replay's `active_since`, with nothing ignored
    as lying in the future)."""
    return compute_clock(events, datetime.max).active_since


def days(duration: Optional[timedelta]) -> Optional[float]:
    """A duration in (fractional) calendar days."""
    return None if duration is None else duration.total_seconds() / 86400


# ---------------------------------------------------------------------------
# Loading from the database
# ---------------------------------------------------------------------------

IdSource = Union[Sequence[int], sa.Select]


def _events_query(ids: IdSource) -> sa.Select:
    """The event rows that move the ball, for `ids` (a list, or a SELECT of ids).

    Only the three keys of `data` that matter are read, in SQL, so no JSON is
    decoded in Python.
    """
    return (
        sa.select(
            Event.registration_id,
            Event.created_at,
            Event.kind,
            Event.data["from"].as_string(),
            Event.data["to"].as_string(),
            Event.data["direction"].as_string(),
        )
        .where(Event.registration_id.in_(ids), Event.kind.in_(CLOCK_EVENT_KINDS))
        .order_by(Event.registration_id, Event.created_at, Event.id)
    )


def _grouped(result) -> Iterator[tuple[int, list[tuple]]]:
    """(registration id, [(at, kind, from, to, direction), ...]) per registration, in order."""
    for registration_id, group in groupby(result, key=itemgetter(0)):
        yield registration_id, [row[1:] for row in group]


def load_timelines(ids: IdSource, now: datetime) -> dict[int, Timeline]:
    """Replay the event trails of many registrations with ONE query.

    `ids` is a list of registration ids or a SELECT of ids (a subquery, for sets
    too large to spell out). Registrations without events are left out.
    """
    if not isinstance(ids, sa.Select):
        ids = list(ids)
        if not ids:
            return {}
    result = db.session.execute(_events_query(ids))
    return {registration_id: _replay(rows, now) for registration_id, rows in _grouped(result)}


def load_clocks(ids: IdSource, now: datetime) -> dict[int, Clock]:
    """Clocks for many registrations with ONE query (see load_timelines)."""
    return {rid: clock_from_timeline(timeline) for rid, timeline in load_timelines(ids, now).items()}


def iter_clocks(ids: sa.Select, now: datetime, chunk_size: int = 1000) -> Iterator[tuple[int, Clock]]:
    """Stream (registration id, clock) in registration id order, for exports of any size.

    One query, read in chunks (server-side cursor on PostgreSQL), so memory stays
    flat however many registrations match.
    """
    result = db.session.execute(_events_query(ids).execution_options(yield_per=chunk_size))
    for registration_id, rows in _grouped(result):
        yield registration_id, clock_from_timeline(_replay(rows, now))
