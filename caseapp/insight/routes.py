"""/my, /dashboard and /export.csv: routes parse, call and render."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from ..auth.access import staff_required
from ..htmx import render_view
from ..models import utcnow
from ..workflow import STEP_LABELS, STEPS, TEAM_LABELS
from .work import work_for

bp = Blueprint("insight", __name__)


@bp.context_processor
def labels():
    return {
        "steps": STEPS,
        "step_labels": STEP_LABELS,
        "team_labels": TEAM_LABELS,
    }


@bp.get("/my")
@staff_required
def my_work():
    now = utcnow()
    return render_view("insight/my_work.html", work=work_for(current_user, now), now=now)
