"""Time helpers for the insight tests (registrations with known event histories: tests.factories)."""

from __future__ import annotations

from datetime import date, datetime, timedelta


def days_ago(n: float, now: datetime | None = None) -> datetime:
    from caseapp.dates import utcnow

    return (now or utcnow()) - timedelta(days=n)


def today_local() -> date:
    from caseapp.dates import local_date, utcnow

    return local_date(utcnow())
