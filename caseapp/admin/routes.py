"""The e-mail outbox for administrators: read queued mail, see failures, resend.

Without an SMTP server (the default set-up) this is where e-mail can be read.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth.access import admin_required
from ..extensions import db
from ..htmx import render_view
from ..models import OutboxMessage
from ..outbox import queue, sender

bp = Blueprint("admin", __name__, url_prefix="/admin")

STATUS_LABELS = {"queued": _l("In wachtrij"), "sent": _l("Verzonden"), "failed": _l("Mislukt")}
LIST_LIMIT = 200


@bp.get("/outbox")
@admin_required
def outbox_index():
    status = request.args.get("status")
    if status not in STATUS_LABELS:
        status = None
    return render_view(
        "admin/outbox_index.html",
        block="outbox_messages",
        messages=_latest_messages(status),
        counts=_counts_by_status(),
        status_filter=status,
        status_labels=STATUS_LABELS,
        smtp_configured=sender.smtp_configured(),
        limit=LIST_LIMIT,
    )


@bp.get("/outbox/<int:message_id>")
@admin_required
def outbox_detail(message_id: int):
    return render_view(
        "admin/outbox_detail.html",
        message=_message_or_404(message_id),
        status_labels=STATUS_LABELS,
        smtp_configured=sender.smtp_configured(),
    )


@bp.post("/outbox/<int:message_id>/resend")
@admin_required
def outbox_resend(message_id: int):
    message = _message_or_404(message_id)
    queued = queue.resend(message)
    db.session.commit()
    if queued is None:
        flash(_("Dit bericht wordt op dit moment verzonden. Opnieuw versturen kan daarna."), "warning")
        return redirect(url_for(".outbox_detail", message_id=message_id), code=303)
    if queued.id != message_id:
        flash(_("Een kopie van het bericht staat in de wachtrij. Het verzonden bericht blijft bewaard."), "ok")
    else:
        flash(_("Het bericht staat weer in de wachtrij en wordt bij de volgende verzendronde verstuurd."), "ok")
    return redirect(url_for(".outbox_detail", message_id=queued.id), code=303)


def _latest_messages(status: str | None) -> list[OutboxMessage]:
    query = (
        sa.select(OutboxMessage)
        .options(so.joinedload(OutboxMessage.registration))
        .order_by(OutboxMessage.id.desc())
        .limit(LIST_LIMIT)
    )
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return list(db.session.scalars(query))


def _counts_by_status() -> dict[str, int]:
    rows = db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    ).all()
    return {status: count for status, count in rows}


def _message_or_404(message_id: int) -> OutboxMessage:
    message = db.session.scalar(
        sa.select(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .options(so.joinedload(OutboxMessage.registration))
    )
    if message is None:
        abort(404)
    return message
