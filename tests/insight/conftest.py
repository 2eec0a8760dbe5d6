"""Registrations with known event histories, and a query counter."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.insight.clocks import ball_since_after
from caseapp.models import ContactLogEntry, Event


def submitted(at):
    return (at, "submitted", {})


def moved(at, frm, to, **extra):
    return (at, "step_changed", {"from": frm, "to": to, **extra})


def through(at, *steps, gap=timedelta(days=1)):
    """Events for moving forward step by step from `received`, `gap` apart, starting at `at`."""
    events, current = [], "received"
    for index, step in enumerate(steps):
        events.append(moved(at + gap * index, current, step))
        current = step
    return events


@pytest.fixture()
def make_history(make_registration):
    """Create a registration whose event trail is exactly `events` [(at, kind, data)],
    with the registration's columns set the way the workflow would have left them."""

    def _make(events, *, contacts=(), assignee=None, **fields):
        registration, _token = make_registration(**fields)
        db.session.execute(sa.delete(Event).where(Event.registration_id == registration.id))
        step, step_entered, waiting_since, withdrawn_at, realised_at, live_at = "received", None, None, None, None, None
        for at, kind, data in events:
            db.session.add(Event(registration_id=registration.id, kind=kind, data=data, created_at=at,
                                 actor_label="processor" if kind == "submitted" else None))
            if kind == "submitted":
                step_entered = at
            elif kind == "step_changed":
                step, step_entered = data["to"], at
                if step == "realised" and realised_at is None:
                    realised_at = at
                if step == "live":
                    live_at = at
            elif kind == "waiting_set":
                waiting_since = at
            elif kind == "waiting_cleared":
                waiting_since = None
            elif kind == "withdrawn":
                withdrawn_at = at
            elif kind == "reopened":
                withdrawn_at = None
        registration.created_at = events[0][0]
        registration.step = step
        registration.step_entered_at = step_entered or events[0][0]
        registration.waiting_since = waiting_since
        registration.waiting_reason = "rechten ontbreken" if waiting_since else None
        registration.withdrawn_at = withdrawn_at
        registration.withdrawn_reason = "overgestapt" if withdrawn_at else None
        registration.realised_at = realised_at
        registration.live_at = live_at
        registration.ball_since = ball_since_after(events)
        if assignee is not None:
            registration.assignee_id = assignee.id
        for occurred_at, follow_up in contacts:
            db.session.add(ContactLogEntry(registration_id=registration.id, occurred_at=occurred_at, channel="phone",
                                           with_whom="Salarisbureau Noord", summary="Gebeld.",
                                           follow_up_date=follow_up))
        db.session.commit()
        return registration

    return _make


def days_ago(n: float, now: datetime | None = None) -> datetime:
    from caseapp.dates import utcnow

    return (now or utcnow()) - timedelta(days=n)


def today_local() -> date:
    from caseapp.dates import local_date, utcnow

    return local_date(utcnow())
