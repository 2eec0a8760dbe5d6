"""Time, in one place: the database keeps naive UTC, the teams live in Amsterdam,
and deadlines count Dutch working days. The ground floor: imports nothing of ours.

Working days are Monday to Friday minus the Dutch public holidays of the
Algemene termijnenwet (the legal list of "algemeen erkende feestdagen":
Nieuwjaarsdag, tweede paasdag, Koningsdag, 5 mei, Hemelvaartsdag, tweede
pinksterdag, eerste en tweede kerstdag). The dates come from the `holidays`
package; its Dutch calendar differs from that list in two ways, both settled
here: Goede Vrijdag is not on the list (it counts as a working day), and
Bevrijdingsdag is on it every year, not only once in five.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from dateutil.easter import easter as easter_sunday

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# The years a date typed into this desk can mean: year 1 or 9999 is a typing error,
# and breaks time-zone conversion and date arithmetic.
PLAUSIBLE_YEARS = range(1900, 2101)

__all__ = [
    "AMSTERDAM",
    "PLAUSIBLE_YEARS",
    "add_working_days",
    "dutch_holidays",
    "easter_sunday",
    "is_working_day",
    "local_date",
    "local_midnight_utc",
    "today_local",
    "utcnow",
    "working_days_between",
]


def utcnow() -> datetime:
    """Naive UTC: stored the same on SQLite and PostgreSQL, shown in Amsterdam time."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def today_local() -> date:
    """Today's date in the Netherlands (dates like the first exchange are Dutch dates)."""
    return datetime.now(AMSTERDAM).date()


def local_date(moment: datetime) -> date:
    """The Amsterdam calendar date of a naive-UTC timestamp."""
    return moment.replace(tzinfo=timezone.utc).astimezone(AMSTERDAM).date()


def local_midnight_utc(day: date) -> datetime:
    """The naive-UTC instant at which `day` starts in Amsterdam."""
    return datetime.combine(day, time(0), tzinfo=AMSTERDAM).astimezone(timezone.utc).replace(tzinfo=None)


# ---------------------------------------------------------------------------
# Working days
# ---------------------------------------------------------------------------


@lru_cache(maxsize=64)
def dutch_holidays(year: int) -> frozenset[date]:
    """The algemeen erkende feestdagen of the Algemene termijnenwet in `year`."""
    easter = easter_sunday(year)
    not_on_the_list = {
        easter - timedelta(days=2),  # Goede Vrijdag
        easter,  # eerste paasdag and eerste pinksterdag are Sundays
        easter + timedelta(days=49),
    }
    days = {day for day in holidays.NL(years=year) if day not in not_on_the_list}
    days.add(date(year, 5, 5))  # Bevrijdingsdag, every year
    return frozenset(days)


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
