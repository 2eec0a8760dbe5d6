"""What needs the logged-in user and their team today (`/my`).

Four lists, each entry with the reason it is listed: follow-ups that are due,
registrations that have gone stale with the team, requests to the processor
that are escalated (open ESCALATION_WORKING_DAYS or more), and registrations
that have waited on the processor for longer than the stale limit. A registration is
"ours" when it is assigned to the user or its step is owned by the user's team
(an admin's team is every team). Two queries whatever the numbers: the user,
and the registrations with who has the ball since when and their latest contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa

from ..dates import local_date
from ..extensions import db
from ..models import Registration, User
from ..process import team_steps
from .rules import Insight, assess_row, escalation_limit, stale_limit, with_rule_facts


def scope_condition(user: User) -> sa.ColumnElement[bool]:
    """Open registrations that are the user's or their team's."""
    condition = Registration.is_open
    if user.role == "admin":
        return condition
    return sa.and_(
        condition, sa.or_(Registration.assignee_id == user.id, Registration.step.in_(team_steps(user.role)))
    )


# The WorkItem fields that are the row's columns as they are.
_AS_READ = ("reference", "employer_name", "processor_name", "step", "assignee_name", "waiting_reason")


@dataclass(frozen=True)
class WorkItem:
    registration_id: int
    reference: str
    employer_name: str
    processor_name: str
    step: str
    assignee_name: Optional[str]
    mine: bool
    insight: Insight
    waiting_reason: Optional[str]


@dataclass
class WorkList:
    today: date
    limit: int
    due: list[WorkItem] = field(default_factory=list)
    stale: list[WorkItem] = field(default_factory=list)
    waiting: list[WorkItem] = field(default_factory=list)
    escalated: list[WorkItem] = field(default_factory=list)
    escalation_limit: int = 0


def work_for(user: User, now: datetime) -> WorkList:
    limit = stale_limit()
    condition = scope_condition(user)
    rows = db.session.execute(
        with_rule_facts(
            sa.select(
                Registration.id,
                Registration.reference,
                Registration.employer_name,
                Registration.processor_name,
                Registration.assignee_id,
                Registration.waiting_reason,
                User.name.label("assignee_name"),
            ).outerjoin(User, User.id == Registration.assignee_id)
        )
        .where(condition)
        .order_by(Registration.id)
    )
    work = WorkList(today=local_date(now), limit=limit, escalation_limit=escalation_limit())
    for row in rows:
        insight = assess_row(row, now, work.today, limit)
        item = WorkItem(
            registration_id=row.id,
            **{name: getattr(row, name) for name in _AS_READ},
            mine=row.assignee_id == user.id,
            insight=insight,
        )
        if insight.due is not None:
            work.due.append(item)
        if insight.stale:
            work.stale.append(item)
        if insight.escalated:
            work.escalated.append(item)
        if insight.waiting_long:
            work.waiting.append(item)
    # Mine first, then the longest overdue / longest held.
    work.due.sort(key=lambda i: (not i.mine, i.insight.due, i.reference))
    work.stale.sort(key=lambda i: (not i.mine, -(i.insight.stale_days or 0), i.reference))
    work.escalated.sort(key=lambda i: (not i.mine, -(i.insight.escalated_days or 0), i.reference))
    work.waiting.sort(key=lambda i: (not i.mine, -(i.insight.waiting_days or 0), i.reference))
    return work
