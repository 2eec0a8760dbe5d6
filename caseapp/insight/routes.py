"""/my and /dashboard: routes parse, call and render."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user

from ..auth.access import staff_required
from ..dates import local_date, utcnow
from ..htmx import render_view
from . import dashboard as dashboard_service
from .charts import number
from .work import work_for

bp = Blueprint("insight", __name__)


@bp.context_processor
def labels():
    return {
        "party_label": dashboard_service.party_label,
        "week_label": dashboard_service.week_label,
    }


@bp.app_template_filter("insight_days")
def insight_days(value):
    """Days with one decimal and a decimal comma (3,5); a dash for no value."""
    return number(value)


@bp.get("/my")
@staff_required
def my_work():
    now = utcnow()
    return render_view("insight/my_work.html", work=work_for(current_user, now), now=now)


@bp.get("/dashboard")
@staff_required
def dashboard():
    now = utcnow()
    period, errors, values = dashboard_service.parse_period(request.args, local_date(now))
    view = dashboard_service.build_dashboard(period, now, with_period=not errors)
    return render_view(
        "insight/dashboard.html",
        block="dashboard_results",
        status=422 if errors else 200,
        dashboard=view,
        errors=errors,
        values=values,
    )
