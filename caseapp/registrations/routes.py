"""Registration detail: the page, its sections, and one URL per action.

Routes parse, call workflow.py or service.py, and render; they decide nothing.
How the page answers (a whole page or HTMX sections, 303/422/403/409) is page.py's.
"""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, request, send_file
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from .. import workflow
from ..auth.access import requires, staff_required
from ..changes import WorkflowError, transaction
from ..extensions import db
from ..inputs import parse_id
from ..models import User
from ..process import PREREQUISITE_KEYS, PREREQUISITE_LABELS, STEP_LABELS
from . import page, service
from .forms import ContactForm, FirstExchangeDateForm, IntakeEditForm, PolicyForm
from .page import Change, section_change

bp = Blueprint("registrations", __name__)


# ---------------------------------------------------------------------------
# The page and its sections (GET)
# ---------------------------------------------------------------------------


@bp.get("/registrations/<int:registration_id>")
@staff_required
def detail(registration_id: int):
    return page.render(registration_id, "registration-detail")


@bp.get("/registrations/<int:registration_id>/intake")
@staff_required
def intake(registration_id: int):
    return page.render(registration_id, "intake-data", focus="intake-edit-link")


@bp.get("/registrations/<int:registration_id>/intake/edit")
@requires("edit_intake")
def edit_intake(registration_id: int):
    return page.render(registration_id, "intake-data", editing_intake=True, focus="intake-first-field")


@bp.get("/registrations/<int:registration_id>/policies")
@staff_required
def policies(registration_id: int):
    return page.render(registration_id, "policies")


@bp.get("/registrations/<int:registration_id>/policies/<int:policy_id>/edit")
@requires("edit_policy")
def edit_policy(registration_id: int, policy_id: int):
    registration = page.load_detail(registration_id)
    if service.find_policy(registration, policy_id) is None:
        abort(404)
    return page.render(registration_id, "policies", loaded=registration, editing_policy=policy_id,
                       focus=f"policy-{policy_id}-first-field")


# ---------------------------------------------------------------------------
# Intake data
# ---------------------------------------------------------------------------


@bp.post("/registrations/<int:registration_id>/intake")
@requires("edit_intake")
@section_change("intake-data")
def save_intake(change: Change):
    form = change.valid("intake", IntakeEditForm(), editing_intake=True)
    # After a conflict the form shows the current values; what was typed is listed, so nothing is lost silently.
    change.keep_on_conflict(typed={"intake": form.typed()})
    with transaction():
        changed = service.update_intake(change.registration, current_user, form.values(), change.version)
    message = _("Aanmeldgegevens opgeslagen.") if changed else _("Geen wijzigingen: er was niets veranderd.")
    return change.saved(message, focus="intake-data-heading")


@bp.post("/registrations/<int:registration_id>/intake/checked")
@requires("check_intake")
@section_change("intake-data")
def intake_checked(change: Change):
    checked = request.form.get("checked") == "1"
    with transaction():
        service.set_intake_checked(change.registration, current_user, checked, change.version)
    message = _("Aanmeldgegevens gemarkeerd als gecontroleerd.") if checked else _("Controle ongedaan gemaakt.")
    return change.saved(message, focus="intake-checked-button")


# ---------------------------------------------------------------------------
# Policies
# ---------------------------------------------------------------------------


@bp.post("/registrations/<int:registration_id>/policies")
@requires("add_policy")
@section_change("policies")
def add_policy(change: Change):
    form = change.valid("policy_new", PolicyForm(request.form), focus="policy-new-errors")
    with transaction():
        policy = service.add_policy(change.registration, current_user, form.values(), change.version)
    return change.saved(_("Polis %(number)s toegevoegd.", number=policy.policy_number), focus=f"policy-{policy.id}")


def _policy(change: Change, policy_id: int):
    """The policy to edit or remove. Gone while the registration changed since the
    form was made: a colleague removed it (StaleRegistration, a conflict)."""
    policy = service.find_policy_for_change(change.registration, policy_id, change.version)
    if policy is None:
        abort(404)
    return policy


@bp.post("/registrations/<int:registration_id>/policies/<int:policy_id>/edit")
@requires("edit_policy")
@section_change("policies")
def save_policy(change: Change, policy_id: int):
    policy = _policy(change, policy_id)
    form = change.valid("policy_edit", PolicyForm(request.form), editing_policy=policy_id,
                        focus=f"policy-{policy_id}-errors")
    with transaction():
        changed = service.update_policy(change.registration, policy, current_user, form.values(), change.version)
        number = policy.policy_number
    message = (_("Polis %(number)s opgeslagen.", number=number) if changed
               else _("Geen wijzigingen: er was niets veranderd."))
    return change.saved(message, focus=f"policy-{policy_id}")


@bp.post("/registrations/<int:registration_id>/policies/<int:policy_id>/delete")
@requires("remove_policy")
@section_change("policies")
def delete_policy(change: Change, policy_id: int):
    policy = _policy(change, policy_id)
    number = policy.policy_number
    with transaction():
        service.remove_policy(change.registration, policy, current_user, change.version)
    return change.saved(_("Polis %(number)s verwijderd.", number=number), focus="policies-heading")


# ---------------------------------------------------------------------------
# Authorisation checklist and contact log
# ---------------------------------------------------------------------------


@bp.post("/registrations/<int:registration_id>/checks/<key>")
@requires("tick_check")
@section_change("checks", exists=lambda key: key in PREREQUISITE_KEYS)
def toggle_check(change: Change, key: str):
    ticked = request.form.get("ticked") == "1"
    with transaction():
        service.set_check(change.registration, current_user, key, ticked, change.version)
    label = PREREQUISITE_LABELS[key]
    message = _("Afgevinkt: %(label)s.", label=label) if ticked else _("Vinkje weggehaald: %(label)s.", label=label)
    return change.saved(message, focus=f"check-{key}-button")


@bp.post("/registrations/<int:registration_id>/contacts")
@requires("log_contact")
@section_change("contacts")
def add_contact(change: Change):
    form = change.valid("contact", ContactForm(request.form), focus="contact-new-errors")
    with transaction():
        entry = service.add_contact(change.registration, current_user, form.values(), change.version)
    return change.saved(_("Contact vastgelegd."), focus=f"contact-{entry.id}")


# ---------------------------------------------------------------------------
# Transitions (workflow.py)
# ---------------------------------------------------------------------------


def _assignee_from_form() -> User | None:
    """Who the form names: the user, nobody, or the colleague chosen."""
    action = request.form.get("action", "assign")
    if action == "take":
        return current_user._get_current_object()
    if action == "release":
        return None
    if action != "assign":
        abort(400)
    assignee_id = parse_id(request.form.get("assignee_id"))
    assignee = db.session.get(User, assignee_id) if assignee_id is not None else None
    if assignee is None:
        raise WorkflowError(_("Kies een collega om aan toe te wijzen."))
    return assignee


@bp.post("/registrations/<int:registration_id>/assign")
@requires("assign")
@section_change("assignment")
def assign(change: Change):
    with transaction():
        assignee = _assignee_from_form()
        before = change.registration.assignee_id
        workflow.assign(change.registration, current_user, assignee, expected_version=change.version)
    if before == (assignee.id if assignee else None):
        message = _("Geen wijziging: dat was al zo.")
    elif assignee is None:
        message = _("Vrijgegeven: niemand is nu toegewezen.")
    else:
        message = _("Toegewezen aan %(name)s.", name=assignee.name)
    return change.saved(message, focus="assignment-heading")


@bp.post("/registrations/<int:registration_id>/first-exchange-date")
@requires("set_first_exchange_date")
@section_change("first-exchange-date")
def first_exchange_date(change: Change):
    form = change.valid("first_exchange_date", FirstExchangeDateForm(request.form),
                        focus="first-exchange-date-errors")
    day = form.first_exchange_date.data
    with transaction():
        workflow.set_first_exchange_date(change.registration, current_user, day, expected_version=change.version)
    message = _("Datum eerste uitwisseling: %(date)s.", date=format_date(day, "d MMMM y"))
    return change.saved(message, focus="first-exchange-date-heading")


@bp.post("/registrations/<int:registration_id>/waiting")
@requires("set_waiting")
@section_change("waiting")
def set_waiting(change: Change):
    reason = change.reason("waiting_reason")
    items = change.chosen("request_items", "waiting_items")
    with transaction():
        workflow.set_waiting(change.registration, current_user, reason, items, expected_version=change.version)
    return change.saved(_("Verzoek verstuurd: wacht op de salarisverwerker."), focus="waiting-heading")


@bp.post("/registrations/<int:registration_id>/waiting/reopen")
@requires("reopen_request")
@section_change("waiting")
def reopen_request(change: Change):
    with transaction():
        workflow.reopen_request(change.registration, current_user, expected_version=change.version)
    return change.saved(_("Verzoek opnieuw verstuurd: wacht weer op de salarisverwerker."), focus="waiting-heading")


@bp.post("/registrations/<int:registration_id>/waiting/clear")
@requires("clear_waiting")
@section_change("waiting")
def clear_waiting(change: Change):
    with transaction():
        workflow.clear_waiting(change.registration, current_user, expected_version=change.version)
    return change.saved(_("Wacht niet meer op de salarisverwerker."), focus="waiting-heading")


@bp.post("/registrations/<int:registration_id>/withdraw")
@requires("withdraw")
@section_change("withdrawal", whole_page=True)
def withdraw(change: Change):
    reason = change.reason("withdraw_reason")
    with transaction():
        workflow.withdraw(change.registration, current_user, reason, expected_version=change.version)
    return change.saved(_("Aanmelding ingetrokken."), focus="registration-heading")


@bp.post("/registrations/<int:registration_id>/reopen")
@requires("reopen")
@section_change("withdrawal", whole_page=True)
def reopen(change: Change):
    with transaction():
        workflow.reopen(change.registration, current_user, expected_version=change.version)
    return change.saved(_("Aanmelding heropend."), focus="registration-heading")


@bp.post("/registrations/<int:registration_id>/advance")
@requires("advance")
@section_change("next-step", whole_page=True)
def advance(change: Change):
    confirmed = request.form.get("confirm_first_exchange") == "1"
    with transaction():
        step = workflow.advance(change.registration, current_user, expected_version=change.version,
                                confirm_first_exchange=confirmed)
    return change.saved(_("Naar de stap ‘%(step)s’.", step=STEP_LABELS[step]), focus="registration-heading")


@bp.post("/registrations/<int:registration_id>/back")
@requires("move_back")
@section_change("next-step", whole_page=True)
def move_back(change: Change):
    reason = change.reason("back_reason")
    with transaction():
        step = workflow.move_back(change.registration, current_user, reason, expected_version=change.version)
    return change.saved(_("Terug naar de stap ‘%(step)s’.", step=STEP_LABELS[step]), focus="registration-heading")


# ---------------------------------------------------------------------------
# What a processor attached to an answer (GET): a download, for staff only
# ---------------------------------------------------------------------------


@bp.get("/registrations/<int:registration_id>/attachments/<int:attachment_id>")
@requires("download_attachment")
def attachment(registration_id: int, attachment_id: int):
    found = service.find_attachment(registration_id, attachment_id)
    if found is None:
        abort(404)
    response = send_file(BytesIO(found.data), mimetype=found.content_type, as_attachment=True,
                         download_name=found.filename, conditional=False, etag=False, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
