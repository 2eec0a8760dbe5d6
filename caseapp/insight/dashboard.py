"""`/dashboard`: the queries, the period form, and the charts with Dutch labels.

A fixed number of queries whatever the number of registrations: counts per
step now, the live-before-the-period baseline, the events of the
registrations that matter for the period, and the oldest open registrations
(who has the ball since when is on their rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Mapping, Optional

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from ..dates import PLAUSIBLE_YEARS
from ..extensions import db
from ..models import Registration
from ..process import STEP_LABELS, STEPS, TEAM_LABELS
from .charts import Chart, bar_chart, column_chart, duration_chart, flow_chart, number
from .clocks import load_timelines
from .rules import RULE_COLUMNS, Ball, ball_of
from .stats import MAX_PERIOD_DAYS, Period, PeriodFigures, period_figures

DEFAULT_PERIOD_DAYS = 90
OLDEST_LIMIT = 10
# Bottom band first: the finished work at the bottom of the flow diagram.
FLOW_PATTERNS = {"live": "solid", "realised": "hatch", "setup": "dots", "policy": "cross", "received": "horizontal"}


def party_label(key: str) -> str:
    if key == "total":
        return _("Totaal")
    return str(TEAM_LABELS[key])


# ---------------------------------------------------------------------------
# The period form (GET from / to)
# ---------------------------------------------------------------------------


def _parse_date(raw: str) -> Optional[date]:
    raw = raw.strip()
    for parse in (date.fromisoformat, lambda s: datetime.strptime(s, "%d-%m-%Y").date()):
        try:
            day = parse(raw)
        except ValueError:
            continue
        return day if day.year in PLAUSIBLE_YEARS else None
    return None


def parse_period(args: Mapping[str, str], today: date) -> tuple[Period, list[tuple[str, str]], dict[str, str]]:
    """The period from GET args (default: the last 90 days up to today).

    Returns the period, the errors as (field id, Dutch message), and the raw
    values to put back in the form.
    """
    values = {"from": (args.get("from") or "").strip(), "to": (args.get("to") or "").strip()}
    errors: list[tuple[str, str]] = []
    end = today
    if values["to"]:
        end = _parse_date(values["to"])
        if end is None:
            errors.append(("period-to", _("Vul bij ‘tot en met’ een datum in, bijvoorbeeld 31-03-2026.")))
            end = today
    start = end - timedelta(days=DEFAULT_PERIOD_DAYS)
    if values["from"]:
        start = _parse_date(values["from"])
        if start is None:
            errors.append(("period-from", _("Vul bij ‘van’ een datum in, bijvoorbeeld 01-01-2026.")))
            start = end - timedelta(days=DEFAULT_PERIOD_DAYS)
    if not errors and start > end:
        errors.append(("period-from", _("De datum bij ‘van’ moet vóór de datum bij ‘tot en met’ liggen.")))
    elif not errors and (end - start).days + 1 > MAX_PERIOD_DAYS:
        errors.append(("period-from", _("Kies een periode van hoogstens drie jaar.")))
    if not values["from"] and not values["to"]:
        values = {"from": start.isoformat(), "to": end.isoformat()}
    return Period(start, end), errors, values


# ---------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StepCounts:
    per_step: dict[str, int]  # not withdrawn, per step
    waiting: int  # not withdrawn, waiting on the processor
    withdrawn: int


def counts_now() -> StepCounts:
    withdrawn = Registration.withdrawn_at.is_not(None)
    rows = db.session.execute(
        sa.select(
            Registration.step,
            sa.func.count().label("total"),
            sa.func.sum(sa.case((withdrawn, 1), else_=0)).label("withdrawn"),
            sa.func.sum(sa.case((sa.and_(~withdrawn, Registration.waiting_since.is_not(None)), 1), else_=0)).label(
                "waiting"
            ),
        ).group_by(Registration.step)
    ).all()
    per_step = {step: 0 for step in STEPS}
    waiting = withdrawn_total = 0
    for row in rows:
        per_step[row.step] = row.total - (row.withdrawn or 0)
        withdrawn_total += row.withdrawn or 0
        waiting += row.waiting or 0
    return StepCounts(per_step, waiting, withdrawn_total)


def _live_before(moment: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(Registration.step == "live", Registration.live_at.is_not(None), Registration.live_at < moment)


def _withdrawn_before(moment: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(Registration.withdrawn_at.is_not(None), Registration.withdrawn_at < moment)


def period_scope(period: Period) -> sa.Select:
    """Registrations whose history can change a figure of the period: created before its
    end and not already live (for good) or withdrawn (still) before it began."""
    start = period.start_utc
    return sa.select(Registration.id).where(
        Registration.created_at < period.end_utc, ~_live_before(start), ~_withdrawn_before(start)
    )


def load_period_figures(period: Period, now: datetime) -> PeriodFigures:
    baseline = db.session.scalar(
        sa.select(sa.func.count()).select_from(Registration).where(_live_before(period.start_utc))
    ) or 0
    timelines = load_timelines(period_scope(period), now)
    return period_figures(list(timelines.values()), period, now, baseline)


@dataclass(frozen=True)
class OldRegistration:
    id: int
    reference: str
    employer_name: str
    step: str
    created_at: datetime
    clock: Ball  # who has it now, and for how long


def oldest_open(now: datetime, limit: int = OLDEST_LIMIT) -> list[OldRegistration]:
    rows = db.session.execute(
        sa.select(Registration.id, Registration.reference, Registration.employer_name, Registration.created_at,
                  *RULE_COLUMNS)
        .where(Registration.is_open)
        .order_by(Registration.created_at, Registration.id)
        .limit(limit)
    ).all()
    return [OldRegistration(r.id, r.reference, r.employer_name, r.step, r.created_at, ball_of(r, now)) for r in rows]


# ---------------------------------------------------------------------------
# Charts with their Dutch words
# ---------------------------------------------------------------------------


def short_date(day: date) -> str:
    return day.strftime("%d-%m")


def week_label(monday: date) -> str:
    return _("wk %(week)d", week=monday.isocalendar()[1])


@dataclass
class Dashboard:
    now: datetime
    period: Period
    counts: StepCounts
    oldest: list[OldRegistration]
    figures: Optional[PeriodFigures]
    charts: dict[str, Chart] = field(default_factory=dict)


def build_dashboard(period: Period, now: datetime, with_period: bool = True) -> Dashboard:
    counts = counts_now()
    dashboard = Dashboard(
        now=now,
        period=period,
        counts=counts,
        oldest=oldest_open(now),
        figures=load_period_figures(period, now) if with_period else None,
    )
    dashboard.charts["steps"] = bar_chart(
        "chart-steps",
        _("Aanmeldingen per stap nu"),
        _(
            "Staafdiagram met het aantal aanmeldingen per stap op dit moment, zonder ingetrokken aanmeldingen: %(list)s.",
            list="; ".join(f"{STEP_LABELS[s]} {counts.per_step[s]}" for s in STEPS),
        ),
        [(step, str(STEP_LABELS[step]), counts.per_step[step]) for step in STEPS],
    )
    figures = dashboard.figures
    if figures is None:
        return dashboard
    span = _("van %(start)s tot en met %(end)s", start=format_date(period.start, "d MMMM y"),
             end=format_date(period.end, "d MMMM y"))
    dashboard.charts["by_step"] = _durations(
        "chart-by-step",
        _("Tijd per stap, %(span)s", span=span),
        _("Per stap twee staven: de mediaan (effen) en het 90e percentiel (gearceerd) van het aantal dagen in de "
          "stap, voor aanmeldingen die de stap in deze periode afrondden."),
        [(s, str(STEP_LABELS[s.key]), _("%(step)s: mediaan %(median)s, 90e percentiel %(p90)s dagen (%(n)d aanmeldingen)",
                                       step=STEP_LABELS[s.key], median=number(s.median), p90=number(s.p90), n=s.count))
         for s in figures.by_step],
    )
    dashboard.charts["by_party"] = _durations(
        "chart-by-party",
        _("Tijd per partij tot realisatie, %(span)s", span=span),
        _("Per partij de mediaan (effen) en het 90e percentiel (gearceerd) van het aantal dagen dat de partij aan "
          "zet was, van indienen tot realisatie, voor koppelingen die in deze periode werden gerealiseerd."),
        [(s, party_label(s.key), _("%(party)s: mediaan %(median)s, 90e percentiel %(p90)s dagen",
                                   party=party_label(s.key), median=number(s.median), p90=number(s.p90)))
         for s in figures.by_party],
    )
    weeks = figures.realised_per_week
    dashboard.charts["realised"] = column_chart(
        "chart-realised",
        _("Gerealiseerde koppelingen per week, %(span)s", span=span),
        _(
            "Kolomdiagram met per week het aantal koppelingen dat voor het eerst werd gerealiseerd: %(list)s.",
            list="; ".join(f"{week_label(monday)}: {count}" for monday, count in weeks),
        ),
        [(monday, week_label(monday), count) for monday, count in weeks],
        y_label=_("aantal"),
    )
    flow = figures.flow
    bands = [(step, str(STEP_LABELS[step]), FLOW_PATTERNS[step], flow.counts[step]) for step in reversed(STEPS)]
    last = flow.dates[-1] if flow.dates else None
    dashboard.charts["flow"] = flow_chart(
        "chart-flow",
        _("Cumulatief stroomdiagram, %(span)s", span=span),
        _(
            "Gestapeld vlakdiagram met per %(unit)s het aantal aanmeldingen in elke stap aan het eind van die dag, "
            "van onder naar boven: %(steps)s. Ingetrokken aanmeldingen tellen niet mee. %(last)s",
            unit=_("week") if flow.weekly else _("dag"),
            steps=", ".join(str(STEP_LABELS[s]) for s in reversed(STEPS)),
            last=(
                _("Op %(date)s: %(list)s.", date=format_date(last, "d MMMM y"),
                  list="; ".join(f"{STEP_LABELS[s]} {flow.counts[s][-1]}" for s in reversed(STEPS)))
                if last else ""
            ),
        ),
        flow.dates,
        bands,
        date_label=short_date,
    )
    return dashboard


def _durations(chart_id: str, title: str, description: str, bars: list[tuple[Any, str, str]]) -> Chart:
    """A median / 90th-percentile chart; `bars` are (stat, label, the bar in words)."""
    return duration_chart(
        chart_id,
        title,
        f"{description} {'; '.join(words for _stat, _label, words in bars)}.",
        [(stat.key, label, stat.median, stat.p90) for stat, label, _words in bars],
        median_label=_("mediaan"), p90_label=_("90e percentiel"), unit=_("d"), empty_label=_("geen gegevens"),
    )
