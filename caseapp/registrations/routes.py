"""Registration detail (being built; this stub shows the reference only)."""

from flask import Blueprint, abort

from ..auth.access import staff_required
from ..extensions import db
from ..htmx import render_view
from ..models import Registration

bp = Blueprint("registrations", __name__)


@bp.get("/registrations/<int:registration_id>")
@staff_required
def detail(registration_id: int):
    registration = db.session.get(Registration, registration_id) or abort(404)
    return render_view("registrations/detail.html", registration=registration)
