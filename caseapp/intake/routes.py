"""Public pages: the intake form, its inline checks, check your answers, the
confirmation, the status link, and there the processor's answer to the team's request."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from .. import workflow
from ..changes import WorkflowError
from ..errors import render_error
from ..htmx import is_partial, render_view
from ..outbox.messages import status_url
from ..security import limit_per_ip
from . import answers, service, withdrawal
from .forms import AnswerForm, IntakeForm, renumber_directors
from .pages import not_found, status_page

bp = Blueprint("intake", __name__)

TEMPLATE = "intake/new.html"
# Fields with an inline check on blur, and the block that re-renders each.
INLINE_CHECKS = {
    "payroll_tax_number": "payroll_tax_number_group",
    "loket_employer_id": "loket_employer_id_group",
    "contract_number": "contract_number_group",
}


@bp.get("/")
def home():
    return redirect(url_for("intake.new"))


def _changes_director_rows() -> bool:
    """The no-JavaScript "add/remove a DGA" posts store nothing: not counted as submissions."""
    return request.form.get("action", "").startswith(("add_director", "remove_director"))


@bp.route("/aanmelden", methods=["GET", "POST"])
@limit_per_ip("RATELIMIT_INTAKE", methods=["POST"], exempt_when=_changes_director_rows)
def new():
    if request.method == "GET":
        # Coming back from the check page ("wijzigen"): the form shows the answers given.
        waiting = answers.pending()
        form = waiting.form() if waiting else IntakeForm()
        return render_view(TEMPLATE, form=form, show_errors=False)

    if _changes_director_rows():
        # The no-JavaScript path of "add another DGA" / "remove": re-render with the rows changed.
        return _directors_changed(request.form["action"], block=None)

    form = IntakeForm()
    if not form.validate():
        return render_view(TEMPLATE, status=422, form=form, show_errors=True)

    answers.keep(form)
    return redirect(url_for("intake.check_answers"), code=303)


@bp.route("/aanmelden/controleren", methods=["GET", "POST"])
@limit_per_ip("RATELIMIT_INTAKE", methods=["POST"])
def check_answers():
    """The answers once more, each with a "wijzigen" link; its POST stores them."""
    waiting = answers.pending()
    if waiting is None:
        return redirect(url_for("intake.new")) if request.method == "GET" else _nothing_to_send()
    if request.method == "POST" and request.form.get("answers_id", waiting.id) != waiting.id:
        # The answers changed (in another tab) after this check page was shown.
        flash(_("Uw gegevens zijn intussen gewijzigd, bijvoorbeeld in een ander tabblad. Controleer ze hieronder opnieuw."), "warning")
        return redirect(url_for("intake.check_answers"), code=303)

    form = waiting.form()
    if not form.validate():
        answers.forget()
        return render_view(TEMPLATE, status=422, form=form, show_errors=True)
    if request.method == "GET":
        return render_view("intake/check_answers.html", form=form, answers_id=waiting.id)

    answers.forget()
    registration, stored = service.create_registration_once(service.IntakeData(**form.values()), waiting.token)
    # The confirmation page finds the registration again from the answers' id: the
    # status-link token itself is never kept in the session cookie.
    session["submitted"] = {"reference": registration.reference, "answers_id": waiting.id}
    if not stored:
        current_app.logger.info("registration %s sent again: not stored twice", registration.reference)
        return _already_sent()
    current_app.logger.info("registration %s submitted", registration.reference)
    return redirect(url_for("intake.confirmation"), code=303)


def _nothing_to_send():
    """The check page's POST without answers waiting: sent already, or never filled in."""
    if session.get("submitted"):
        return _already_sent()
    flash(_("Er zijn geen gegevens om te versturen. Vul het formulier in."), "warning")
    return redirect(url_for("intake.new"), code=303)


def _already_sent():
    flash(_("Deze aanmelding is al verstuurd en één keer ontvangen. U hoeft niets opnieuw te versturen."))
    return redirect(url_for("intake.confirmation"), code=303)


@bp.post("/aanmelden/dga")
def directors():
    """HTMX: add or remove a DGA row, answering with the DGA fieldset only."""
    return _directors_changed(request.form.get("action", "add_director"), block="directors_fieldset")


def _directors_changed(action: str, block: str | None):
    drop = None
    if action.startswith("remove_director-"):
        try:
            drop = int(action.rsplit("-", 1)[1])
        except ValueError:
            drop = None
    formdata = renumber_directors(request.form, drop=drop, add=action == "add_director")
    form = IntakeForm(formdata=formdata)
    focus = len(form.directors.entries) - 1 if action == "add_director" else None
    return render_view(TEMPLATE, block=block, form=form, show_errors=False, focus_director=focus)


@bp.post("/aanmelden/controle/<field>")
def check(field: str):
    """HTMX inline check of one field on blur: answers with that field's group."""
    block = INLINE_CHECKS.get(field)
    if block is None or not is_partial():
        abort(404)
    form = IntakeForm()
    target = form[field]
    target.validate(form)
    return render_view(TEMPLATE, block=block, form=form, show_errors=True, checked=field)


@bp.get("/aanmelden/bevestiging")
def confirmation():
    submitted = session.get("submitted")
    answers_id = submitted.get("answers_id") if isinstance(submitted, dict) else None
    token = answers.status_token(answers_id) if isinstance(answers_id, str) else None
    registration = service.find_by_token(token) if token else None
    if registration is None:
        session.pop("submitted", None)
        return redirect(url_for("intake.new"))
    return render_view("intake/confirmation.html", registration=registration, status_url=status_url(token))


@bp.get("/status/<token>")
@limit_per_ip("RATELIMIT_STATUS")
def status(token: str):
    registration = service.find_by_token(token, with_requests=True)
    if registration is None:
        return not_found()
    return status_page(registration, token, AnswerForm(formdata=None))


@bp.post("/status/<token>/answer")
@limit_per_ip("RATELIMIT_STATUS")
def answer(token: str):
    """The processor's answer to the open request: 303 back to the status page, or the
    page again with the form at 422 (bad input) or 409 (the request was closed)."""
    registration = service.find_by_token(token, with_requests=True)
    if registration is None:
        return not_found()
    form = AnswerForm()
    if not form.validate() and registration.open_request is not None:
        return status_page(registration, token, form, status=422)
    # (Nothing open to answer: the workflow says why, whatever was sent.)
    try:
        service.answer(token, form.values())
    except workflow.AnswerAlreadyReceived as already:
        flash(str(already), "info")
    except WorkflowError as refused:
        current = service.find_by_token(token, with_requests=True) or registration
        return status_page(current, token, form, status=refused.status_code, notice=str(refused))
    else:
        current_app.logger.info("registration %s: request answered", registration.reference)
        flash(_("Bedankt, uw antwoord is ontvangen. Wij gaan ermee verder."), "success")
    return redirect(url_for("intake.status", token=token), code=303)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge):
    """A body larger than the server takes (MAX_CONTENT_LENGTH): on the answer form
    a Dutch message with the form again, elsewhere the error page. Never read the
    body again here: that is what failed."""
    token = (request.view_args or {}).get("token")
    registration = service.find_by_token(token, with_requests=True) if request.endpoint == "intake.answer" else None
    if registration is None:
        return render_error(error)
    notice = _("Het bestand is te groot om te versturen. Een bijlage is hoogstens 5 MB; kies een kleiner bestand.")
    return status_page(registration, token, AnswerForm(formdata=None), status=413, notice=notice)


# The processor withdraws on the status page (withdrawal.py).
bp.add_url_rule("/status/<token>/intrekken", view_func=withdrawal.withdraw, methods=["POST"])
