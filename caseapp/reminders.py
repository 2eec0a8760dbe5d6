"""Reminders to the processor while a request is open, queued through the outbox.

A request open for REMINDER_WORKING_DAYS working days (default 3 and 7, Dutch
public holidays excluded; counted from the request's Dutch date with
dates.working_days_between) gets a reminder each time. `flask reminders send`
queues what is due; it is safe to run every minute, on every host at once:

- a reminder is claimed by a compare-and-set UPDATE of the request's
  reminders_sent counter (... WHERE reminders_sent = n AND the request is still
  open AND the registration is not withdrawn); only the process whose UPDATE
  changed the row queues the mail, in the same transaction, so a reminder is
  queued once or not at all;
- an answered, stopped or replaced request (closed_at set) or a withdrawn
  registration fails that WHERE: reminders stop the moment that is committed.

A request that is behind (the command did not run for days) gets one reminder
for the latest number it reached, not one for each it missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

import click
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask.cli import AppGroup

from .changes import record_event
from .dates import local_date, utcnow, working_days_between
from .extensions import db
from .models import ProcessorRequest, Registration
from .outbox import messages


def reminder_days() -> tuple[int, ...]:
    """REMINDER_WORKING_DAYS as sorted working-day counts ("3,7" or a list)."""
    raw = current_app.config.get("REMINDER_WORKING_DAYS", "3,7")
    parts = raw.split(",") if isinstance(raw, str) else raw
    return tuple(sorted({int(part) for part in parts if str(part).strip()}))


def reminders_due(opened_at: datetime, now: datetime, days: tuple[int, ...]) -> int:
    """How many reminders a request opened at `opened_at` should have had by `now`."""
    elapsed = working_days_between(local_date(opened_at), local_date(now))
    return sum(1 for limit in days if elapsed >= limit)


@dataclass
class ReminderReport:
    queued: int = 0
    # Claimed by another process first, or closed meanwhile.
    skipped: int = 0

    def __str__(self) -> str:
        return f"queued {self.queued}" + (f", left to another run {self.skipped}" if self.skipped else "")


def _still_remindable(request_id: int, sent: int) -> sa.ColumnElement[bool]:
    not_withdrawn = (
        sa.select(Registration.id)
        .where(Registration.id == ProcessorRequest.registration_id, Registration.withdrawn_at.is_(None))
        .exists()
    )
    return sa.and_(
        ProcessorRequest.id == request_id,
        ProcessorRequest.reminders_sent == sent,
        ProcessorRequest.closed_at.is_(None),
        not_withdrawn,
    )


def send_due_reminders(now: Optional[datetime] = None) -> ReminderReport:
    """Queue every reminder that is due at `now` (naive UTC; default: now), one
    transaction per reminder. Returns what it did."""
    now = now or utcnow()
    days = reminder_days()
    report = ReminderReport()
    if not days:
        return report
    candidates = db.session.execute(
        sa.select(ProcessorRequest.id, ProcessorRequest.opened_at, ProcessorRequest.reminders_sent)
        .join(Registration, Registration.id == ProcessorRequest.registration_id)
        .where(
            ProcessorRequest.closed_at.is_(None),
            Registration.withdrawn_at.is_(None),
            ProcessorRequest.reminders_sent < len(days),
        )
        .order_by(ProcessorRequest.id)
    ).all()
    db.session.rollback()
    for request_id, opened_at, sent in candidates:
        due = reminders_due(opened_at, now, days)
        if due <= sent:
            continue
        if _queue_reminder(request_id, sent, due):
            report.queued += 1
        else:
            report.skipped += 1
    return report


def _queue_reminder(request_id: int, sent: int, due: int) -> bool:
    """Claim reminder number `due` of the request (it had `sent`) and queue its
    mail in the same transaction; False when another process claimed it or the
    request is no longer open."""
    try:
        claimed = db.session.execute(
            sa.update(ProcessorRequest)
            .where(_still_remindable(request_id, sent))
            .values(reminders_sent=due)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            db.session.rollback()
            return False
        request = db.session.scalar(
            sa.select(ProcessorRequest)
            .where(ProcessorRequest.id == request_id)
            .options(so.selectinload(ProcessorRequest.items), so.joinedload(ProcessorRequest.registration))
        )
        registration = request.registration
        messages.queue_reminder(registration, request, due)
        record_event(registration, "reminder_sent", actor_label="system", request_id=request_id, number=due)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return True


reminders_cli = AppGroup("reminders", help="Reminders to the processor about open requests.")


@reminders_cli.command("send")
@click.option("--now", "now_text", hidden=True, default=None,
              help="For tests: the present as an ISO date-time in UTC.")
def send_command(now_text: Optional[str]) -> None:
    """Queue the reminders that are due (safe to run often, and from several processes)."""
    now = datetime.fromisoformat(now_text) if now_text else None
    click.echo(f"Reminders: {send_due_reminders(now)}.")
