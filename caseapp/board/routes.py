"""The kanban board (being built; this stub only lists counts per step)."""

import sqlalchemy as sa
from flask import Blueprint

from ..auth.access import staff_required
from ..extensions import db
from ..htmx import render_view
from ..models import Registration

bp = Blueprint("board", __name__)


@bp.get("/board")
@staff_required
def index():
    counts = dict(db.session.execute(sa.select(Registration.step, sa.func.count()).group_by(Registration.step)).all())
    return render_view("board/index.html", counts=counts)
