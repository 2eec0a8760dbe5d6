"""The dashboard's figures, computed in Python from replayed timelines.

Percentiles use linear interpolation between the two nearest ranks: for n
sorted values x[0..n-1] the p-th percentile is at position h = (n - 1) * p / 100,
x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]). That is Excel's
PERCENTILE.INC (and MEDIAN for p = 50), so a team can check a figure against
the CSV export in a spreadsheet.

What each figure means (the dashboard says the same in Dutch):

- time per step: for each registration that moved forward out of a step in
  the period (the last such move counts), its total time in that step, over
  all visits, waiting included, withdrawn periods excluded;
- time per party: for each registration realised for the first time in the
  period, the time each party had the ball from submission to realisation;
- realised per week: first realisations per ISO week (Monday to Sunday,
  Amsterdam dates);
- cumulative flow: per day (per week for periods longer than 92 days) the
  number of registrations in each step at the end of that day; withdrawn
  registrations are left out while withdrawn.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Iterable, Optional, Sequence

from ..dates import local_date, local_midnight_utc
from ..process import OPEN_STEPS, STEPS
from .clocks import PARTIES, Timeline, days

DAILY_LIMIT = 92  # longer periods get weekly points in the cumulative flow diagram
MAX_PERIOD_DAYS = 3 * 366
ONE_MICROSECOND = timedelta(microseconds=1)


def percentile(values: Sequence[float], p: float) -> Optional[float]:
    """The p-th percentile (0..100) by linear interpolation (PERCENTILE.INC); None if empty."""
    if not values:
        return None
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (position - lower) * (ordered[upper] - ordered[lower])


@dataclass(frozen=True)
class Period:
    """Amsterdam dates, both inclusive."""

    start: date
    end: date

    @cached_property
    def start_utc(self) -> datetime:
        return local_midnight_utc(self.start)

    @cached_property
    def end_utc(self) -> datetime:
        """Exclusive: the start of the day after `end`."""
        return local_midnight_utc(self.end + timedelta(days=1))

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def weekly(self) -> bool:
        return self.length > DAILY_LIMIT

    def contains(self, moment: datetime) -> bool:
        return self.start_utc <= moment < self.end_utc


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class DurationStat:
    key: str
    count: int
    median: Optional[float]  # days
    p90: Optional[float]  # days


@dataclass(frozen=True)
class FlowDiagram:
    dates: tuple[date, ...]
    counts: dict[str, tuple[int, ...]]  # step -> count per date, steps in board order
    weekly: bool


@dataclass(frozen=True)
class PeriodFigures:
    period: Period
    by_step: tuple[DurationStat, ...]
    by_party: tuple[DurationStat, ...]  # PARTIES, then "total"
    realised_per_week: tuple[tuple[date, int], ...]  # (Monday, count)
    flow: FlowDiagram


def _stat(key: str, values: list[float]) -> DurationStat:
    return DurationStat(key, len(values), percentile(values, 50), percentile(values, 90))


def step_durations(timelines: Iterable[Timeline], period: Period) -> dict[str, list[float]]:
    """Days in each step, for registrations that moved forward out of it in the period."""
    values: dict[str, list[float]] = {step: [] for step in OPEN_STEPS}
    for timeline in timelines:
        last_exit: dict[str, datetime] = {}
        for transition in timeline.transitions:
            if not transition.back and period.contains(transition.at):
                last_exit[transition.from_step] = transition.at
        for step, moment in last_exit.items():
            if step in values:
                values[step].append(days(timeline.step_totals(until=moment)[step]))
    return values


def party_durations(timelines: Iterable[Timeline], period: Period) -> dict[str, list[float]]:
    """Days per party from submission to first realisation, for realisations in the period."""
    values: dict[str, list[float]] = {party: [] for party in (*PARTIES, "total")}
    for timeline in timelines:
        realised = timeline.first_entered.get("realised")
        if realised is None or not period.contains(realised):
            continue
        totals = timeline.party_totals(until=realised)
        for party in PARTIES:
            values[party].append(days(totals[party]))
        values["total"].append(days(sum(totals.values(), timedelta(0))))
    return values


def realised_per_week(timelines: Iterable[Timeline], period: Period) -> tuple[tuple[date, int], ...]:
    weeks: dict[date, int] = {}
    monday = monday_of(period.start)
    while monday <= period.end:
        weeks[monday] = 0
        monday += timedelta(days=7)
    for timeline in timelines:
        realised = timeline.first_entered.get("realised")
        if realised is not None and period.contains(realised):
            weeks[monday_of(local_date(realised))] += 1
    return tuple(weeks.items())


def flow_dates(period: Period, today: date) -> tuple[date, ...]:
    """The dates of the cumulative flow diagram: each day, or each Sunday (and the last day)."""
    last = min(period.end, today)
    if last < period.start:
        return ()
    if not period.weekly:
        return tuple(period.start + timedelta(days=n) for n in range((last - period.start).days + 1))
    dates = []
    day = period.start + timedelta(days=(6 - period.start.weekday()))  # the first Sunday
    while day <= last:
        dates.append(day)
        day += timedelta(days=7)
    if not dates or dates[-1] != last:
        dates.append(last)
    return tuple(dates)


def cumulative_flow(
    timelines: Iterable[Timeline], period: Period, now: datetime, baseline_live: int = 0
) -> FlowDiagram:
    """Registrations per step at the end of each date (now, for today).

    `baseline_live` adds registrations that were live before the period began
    and whose events were therefore not loaded.
    """
    dates = flow_dates(period, local_date(now))
    moments = [min(local_midnight_utc(day + timedelta(days=1)), now) - ONE_MICROSECOND for day in dates]
    # Difference arrays: a segment covering samples lo..hi-1 adds 1 at lo, removes it at hi.
    diff = {step: [0] * (len(moments) + 1) for step in STEPS}
    for timeline in timelines:
        for segment in timeline.segments:
            if segment.withdrawn:
                continue
            lo = bisect_left(moments, segment.start)
            hi = bisect_left(moments, segment.end)
            if lo < hi:
                diff[segment.step][lo] += 1
                diff[segment.step][hi] -= 1
    counts: dict[str, tuple[int, ...]] = {}
    for step in STEPS:
        running, series = 0, []
        for index in range(len(moments)):
            running += diff[step][index]
            series.append(running + (baseline_live if step == "live" else 0))
        counts[step] = tuple(series)
    return FlowDiagram(tuple(dates), counts, period.weekly)


def period_figures(timelines: Sequence[Timeline], period: Period, now: datetime, baseline_live: int = 0) -> PeriodFigures:
    """Every period-dependent figure of the dashboard (pure)."""
    by_step = step_durations(timelines, period)
    by_party = party_durations(timelines, period)
    return PeriodFigures(
        period=period,
        by_step=tuple(_stat(step, by_step[step]) for step in OPEN_STEPS),
        by_party=tuple(_stat(key, by_party[key]) for key in (*PARTIES, "total")),
        realised_per_week=realised_per_week(timelines, period),
        flow=cumulative_flow(timelines, period, now, baseline_live),
    )
