"""The kanban board: one column per step, filters, "meer laden", moving cards,
and the CSV export of what the filters select.

Every interaction works as a plain GET link or form POST (303 back to the board,
filters kept); HTMX only makes it quicker. Whether a card may move is decided by
workflow.advance / workflow.move_back, never here.
"""

from __future__ import annotations

from typing import Optional

import sqlalchemy.orm as so
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    get_flashed_messages,
    redirect,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions, process, workflow
from ..auth.access import staff_required
from ..changes import WorkflowError, transaction
from ..dates import utcnow
from ..extensions import db
from ..htmx import is_partial, render_view
from ..inputs import parse_id
from ..models import Registration
from . import export, service
from .filters import BoardFilters
from .kit import card_kit
from .kit import init_app as init_card_cache
from .service import Cursor

bp = Blueprint("board", __name__)


@bp.record_once
def _card_cache(state) -> None:
    init_card_cache(state.app)


DIRECTIONS = ("next", "back")


@bp.context_processor
def board_context() -> dict:
    return {"card_kit": card_kit}


def board_url(filters: BoardFilters, anchor: Optional[str] = None) -> str:
    """The board with these filters: where a move without JavaScript returns to."""
    return url_for("board.index", _anchor=anchor, **filters.to_args())


@bp.get("/board")
@staff_required
def index():
    filters = BoardFilters.from_args(request.args)
    board = service.load_board(filters, current_user)
    return render_view(
        "board/index.html",
        block="board_columns",
        board=board,
        filters=filters,
        enhance=True,
        notices=get_flashed_messages(with_categories=True),
    )


@bp.get("/board/column/<step>")
@staff_required
def column(step: str):
    """The next cards of one column: appended by HTMX, or a page of its own without JS."""
    filters = BoardFilters.from_args(request.args)
    if step not in filters.steps:
        abort(404)
    raw_after = request.args.get("after")
    if raw_after:
        try:
            after = Cursor.parse(raw_after)
        except ValueError:
            abort(400)
        page = service.load_column_page(filters, current_user, step, after)
    else:
        page = service.load_board(filters, current_user, only=[step]).columns[0]
    if is_partial():
        return render_view("board/_cards_page.html", column=page, filters=filters, enhance=True)
    return render_view("board/column.html", column=page, filters=filters, enhance=False, first_page=not raw_after)


def _load_for_move(registration_id: int) -> Registration:
    """The registration with what the guards read (policies, checks), loaded up front."""
    registration = db.session.get(
        Registration,
        registration_id,
        options=[so.selectinload(Registration.policies), so.selectinload(Registration.checks)],
        populate_existing=True,
    )
    if registration is None:
        abort(404)
    return registration


def _direction(raw: Optional[str]) -> str:
    if raw not in DIRECTIONS:
        abort(400)
    return raw  # type: ignore[return-value]


def _move_context(registration: Registration, direction: str, filters: BoardFilters, **extra):
    if direction == "next":
        target = process.next_step(registration.step)
        requirements = workflow.advance_requirements(registration)
    else:
        target = process.previous_step(registration.step)
        requirements = []
    if target is None:
        abort(400)
    label = process.STEP_LABELS[target]
    return dict(
        title=_("Naar %(step)s", step=label) if direction == "next" else _("Terug naar %(step)s", step=label),
        registration=registration,
        direction=direction,
        target=target,
        target_label=label,
        requirements=requirements,
        filters=filters,
        board_url=board_url(filters, anchor=f"card-{registration.id}"),
        **extra,
    )


@bp.get("/board/move/<int:registration_id>")
@staff_required
def move_form(registration_id: int):
    """What a move needs before it is tried: the guard's open points, or a reason to go back."""
    direction = _direction(request.args.get("direction"))
    filters = BoardFilters.from_args(request.args)
    registration = _load_for_move(registration_id)
    if not permissions.allowed(current_user, "advance" if direction == "next" else "move_back", registration):
        abort(403)
    enhance = is_partial()
    context = _move_context(registration, direction, filters, enhance=enhance, error=None, reason="")
    return render_view("board/move.html", block="move_panel", **context)


def _int_field(name: str) -> int:
    value = parse_id(request.form.get(name))
    if value is None:
        abort(400)
    return value


@bp.post("/board/move")
@staff_required
def move():
    registration_id = _int_field("registration_id")
    version = _int_field("version")
    direction = _direction(request.form.get("direction"))
    filters = BoardFilters.from_query_string(request.form.get("board", ""))
    registration = _load_for_move(registration_id)
    from_step, reference = registration.step, registration.reference
    reason = request.form.get("reason", "")
    try:
        with transaction():
            if direction == "next":
                to_step = workflow.advance(
                    registration,
                    current_user,
                    expected_version=version,
                    confirm_first_exchange=bool(request.form.get("confirm_first_exchange")),
                )
            else:
                to_step = workflow.move_back(registration, current_user, reason, expected_version=version)
    except WorkflowError as error:
        return _refused(error, registration_id, direction, filters, reason)

    message = _("%(reference)s staat nu in %(step)s.", reference=reference, step=process.STEP_LABELS[to_step])
    if not is_partial():
        flash(message, "success")
        return redirect(board_url(filters, anchor=f"card-{registration_id}"), code=303)

    board = service.load_board(filters, current_user, only=[from_step, to_step])
    arrived = board.column(to_step)
    focus_card = registration_id if arrived and any(card.id == registration_id for card in arrived.cards) else None
    focus_column = None if focus_card else (from_step if board.column(from_step) else None)
    return render_view(
        "board/_moved.html",
        board=board,
        filters=filters,
        enhance=True,
        focus=focus_card,
        focus_column=focus_column,
        notices=[("success", message)],
    )


def _refused(error: WorkflowError, registration_id: int, direction: str, filters: BoardFilters, reason: str):
    """A refused move: the workflow's Dutch message, in place on the card (HTMX), on the
    confirmation page it came from, or as a notice on the board."""
    status = error.status_code
    message = str(error)
    if is_partial():
        return render_view("board/_message.html", status=status, message=message, stale=status == 409,
                           board_url=board_url(filters, anchor=f"card-{registration_id}"))
    if status == 403:
        abort(403)
    if status == 409:
        # Lost a race: the board as it is now, with why nothing moved (as the HTMX path says).
        board = service.load_board(filters, current_user)
        return render_view("board/index.html", status=409, board=board, filters=filters, enhance=True,
                           notices=[("error", message)])
    if request.form.get("origin") == "page" and status == 422:
        registration = _load_for_move(registration_id)
        context = _move_context(registration, direction, filters, enhance=False, error=message, reason=reason)
        return render_view("board/move.html", status=status, **context)
    flash(message, "error")
    return redirect(board_url(filters, anchor=f"card-{registration_id}"), code=303)


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
