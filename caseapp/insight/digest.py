"""The weekly digest per team: new, stuck, due, escalated and realised in the past week.

`build_digest(team, now)` computes and renders it (Dutch text and HTML from
templates/email/digest.txt and .html); `flask --app wsgi digest send` queues it
in the outbox (`--print` prints it instead).

What counts, for the seven whole (Amsterdam) days before today, so a run on
Monday morning covers Monday to Sunday of the week before:
- new: registrations that came to the team in the week (a.s.r.: submitted;
  Keylane: entered setup from an a.s.r. step), still open or not;
- stuck: the team's registrations that are stale now;
- due: the team's registrations with a follow-up date that has passed;
- escalated: the team's registrations whose request to the processor has been
  open ESCALATION_WORKING_DAYS working days or more;
- realised: registrations realised for the first time in the week (the same
  list for both teams: it is the result of both).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional

import click
import sqlalchemy as sa
from flask import current_app, render_template
from flask.cli import AppGroup
from flask_babel import gettext as _

from ..dates import local_date, local_midnight_utc, utcnow
from ..extensions import db
from ..models import Event, Registration
from ..outbox import queue
from ..process import STEP_LABELS, STEP_OWNERS, TEAM_LABELS, team_steps
from .clocks import load_timelines
from .rules import Insight, assess_row, escalation_limit, stale_limit, with_rule_facts

TEAMS = ("asr", "keylane")
LIST_LIMIT = 25  # per section in the e-mail; the count is always complete


@dataclass(frozen=True)
class DigestEntry:
    registration_id: int
    reference: str
    employer_name: str
    step: str
    note: str
    url: str


@dataclass(frozen=True)
class DigestMessage:
    team: str
    recipient: str
    subject: str
    text: str
    html: str
    counts: dict[str, int]


def team_mailbox(team: str) -> str:
    return current_app.config["ASR_INTAKE_MAILBOX" if team == "asr" else "KEYLANE_MAILBOX"]


def _came_to_team(timeline, team: str, start: datetime, end: datetime) -> bool:
    if team == "asr":
        return timeline.submitted_at is not None and start <= timeline.submitted_at < end
    for transition in timeline.transitions:
        if (
            start <= transition.at < end
            and STEP_OWNERS.get(transition.to_step) == team
            and STEP_OWNERS.get(transition.from_step) != team
        ):
            return True
    return False


def digest_week(now: datetime) -> tuple[date, date]:
    """The first and last (Amsterdam) day the digest reports on."""
    today = local_date(now)
    return today - timedelta(days=7), today - timedelta(days=1)


def digest_figures(team: str, now: datetime) -> dict[str, list[DigestEntry]]:
    """The five lists of the digest for `team` (two queries)."""
    first, last = digest_week(now)
    start, end = local_midnight_utc(first), local_midnight_utc(last + timedelta(days=1))
    base_url = current_app.config["BASE_URL"].rstrip("/")

    # What moved in the week (new, realised: from the trail) plus the team's open work (stuck, due).
    moved = sa.select(Event.registration_id).where(
        Event.created_at >= start, Event.created_at < end, Event.kind.in_(("submitted", "step_changed"))
    )
    open_work = sa.and_(Registration.is_open, Registration.step.in_(team_steps(team)))
    rows = {
        row.id: row
        for row in db.session.execute(
            with_rule_facts(
                sa.select(Registration.id, Registration.reference, Registration.employer_name,
                          open_work.label("open_work"))
            ).where(sa.or_(Registration.id.in_(moved), open_work))
        )
    }
    # Only a registration with a submission or step change in the week can be new or realised in it.
    timelines = load_timelines(moved, now)
    limit = stale_limit()
    today = local_date(now)
    insights: dict[int, Insight] = {
        rid: assess_row(row, now, today, limit) for rid, row in rows.items() if row.open_work
    }

    def entry(rid: int, note: str) -> DigestEntry:
        row = rows[rid]
        return DigestEntry(rid, row.reference, row.employer_name, row.step, note, f"{base_url}/registrations/{rid}")

    lists: dict[str, list[DigestEntry]] = {"new": [], "stuck": [], "due": [], "escalated": [], "realised": []}
    for rid, timeline in sorted(timelines.items(), key=lambda item: rows[item[0]].reference if item[0] in rows else ""):
        if rid not in rows:  # submitted between the two queries: next week's
            continue
        if _came_to_team(timeline, team, start, end):
            lists["new"].append(entry(rid, str(STEP_LABELS[rows[rid].step])))
        realised = timeline.first_entered.get("realised")
        if realised is not None and start <= realised < end:
            lists["realised"].append(entry(rid, _("gerealiseerd op %(date)s", date=local_date(realised).strftime("%d-%m-%Y"))))
    for rid, insight in sorted(insights.items(), key=lambda item: -(item[1].stale_days or 0)):
        if insight.stale:
            lists["stuck"].append(
                entry(rid, _("%(n)d werkdagen zonder stapwissel of contact", n=insight.stale_days))
            )
    for rid, insight in sorted(insights.items(), key=lambda item: -(item[1].escalated_days or 0)):
        if insight.escalated:
            lists["escalated"].append(
                entry(rid, _("verzoek aan de salarisverwerker %(n)d werkdagen open", n=insight.escalated_days))
            )
    for rid, insight in sorted(insights.items(), key=lambda item: item[1].due or date.max):
        if insight.due is not None:
            lists["due"].append(entry(rid, _("opvolgen sinds %(date)s", date=insight.due.strftime("%d-%m-%Y"))))
    return lists


def build_digest(team: str, now: Optional[datetime] = None) -> DigestMessage:
    """Subject, text and HTML of the weekly digest for `team` ("asr" or "keylane")."""
    if team not in TEAMS:
        raise ValueError(f"unknown team {team!r}")
    now = now or utcnow()
    lists = digest_figures(team, now)
    counts = {key: len(items) for key, items in lists.items()}
    week_start, week_end = digest_week(now)
    context = dict(
        team=team,
        team_label=TEAM_LABELS[team],
        lists={key: items[:LIST_LIMIT] for key, items in lists.items()},
        counts=counts,
        more={key: max(0, len(items) - LIST_LIMIT) for key, items in lists.items()},
        week_start=week_start,
        week_end=week_end,
        limit=stale_limit(),
        escalation_limit=escalation_limit(),
        base_url=current_app.config["BASE_URL"].rstrip("/"),
    )
    subject = _(
        "Weekoverzicht %(team)s: %(new)d nieuw, %(stuck)d blijven liggen, %(due)d opvolgen, %(realised)d gerealiseerd",
        team=TEAM_LABELS[team], **counts,
    )
    return DigestMessage(
        team=team,
        recipient=team_mailbox(team),
        subject=subject,
        text=render_template("email/digest.txt", **context),
        html=render_template("email/digest.html", subject=subject, **context),
        counts=counts,
    )


def queue_digest(message: DigestMessage) -> None:
    """Queue the digest in the outbox and commit; `outbox send` delivers it."""
    queue.add("digest", to=message.recipient, subject=message.subject, text=message.text, html=message.html)
    db.session.commit()


digest_cli = AppGroup("digest", help="The weekly digest e-mail per team.")


@digest_cli.command("send")
@click.option("--team", type=click.Choice(("all", *TEAMS)), default="all", show_default=True)
@click.option("--print", "print_only", is_flag=True, help="Print the digest instead of queueing it.")
@click.option("--html", "with_html", is_flag=True, help="With --print: print the HTML body too.")
def send_command(team: str, print_only: bool, with_html: bool) -> None:
    """Build the weekly digest for each team and queue it in the outbox (or print it)."""
    now = utcnow()
    for name in TEAMS if team == "all" else (team,):
        message = build_digest(name, now)
        if print_only:
            click.echo(f"To: {message.recipient}\nSubject: {message.subject}\n\n{message.text}")
            if with_html:
                click.echo(message.html)
        else:
            queue_digest(message)
            click.echo(f"queued the digest for {name} to {message.recipient}")
