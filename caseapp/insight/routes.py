"""/my, /dashboard and /export.csv: routes parse, call and render."""

from __future__ import annotations

from flask import Blueprint, Response, request, stream_with_context
from flask_login import current_user

from ..auth.access import staff_required
from ..dates import local_date, utcnow
from ..htmx import render_view
from ..process import STEP_LABELS, STEPS, TEAM_LABELS
from . import dashboard as dashboard_service
from . import export
from .charts import number
from .work import work_for

bp = Blueprint("insight", __name__)


@bp.context_processor
def labels():
    return {
        "steps": STEPS,
        "step_labels": STEP_LABELS,
        "team_labels": TEAM_LABELS,
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


@bp.get("/export.csv")
@staff_required
def export_csv():
    """The registrations matching the board's filters (same GET params), streamed as CSV."""
    now = utcnow()
    response = Response(
        stream_with_context(export.export_csv(request.args.to_dict(), current_user._get_current_object(), now)),
        mimetype="text/csv",
    )
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename(now)}"'
    response.headers["Cache-Control"] = "no-store"
    return response
