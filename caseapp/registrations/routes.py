"""Registration detail: the page, its sections, and one URL per action.

Every action works twice over:
- as a plain form: POST, then 303 back to the page (at the section's anchor);
  refused input or a refused change re-renders the whole page at 422/403;
- as an HTMX request: the section comes back, with the header, the next-step
  panel and the timeline as <hx-partial>s, so nothing on the page is stale.

Every form carries the registration version it was rendered with. A save from
an older version answers 409 with the current values (the whole detail, for
HTMX retargeted to #registration-detail) and says why; nothing is overwritten.

Routes parse, call workflow.py or service.py, and render; they decide nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_block

from .. import workflow
from ..auth.access import roles_required, staff_required
from ..extensions import db
from ..htmx import is_partial, trigger
from ..models import Registration, User, utcnow
from ..workflow import PREREQUISITES, STEP_LABELS, STEPS, TEAM_LABELS, StaleRegistration, WorkflowError
from . import service, timeline
from .forms import CHANNEL_LABELS, ContactForm, FirstExchangeDateForm, IntakeEditForm, PolicyForm

bp = Blueprint("registrations", __name__)

TEMPLATE = "registrations/detail.html"
# Sections every change may affect: re-sent with each successful HTMX save.
ALWAYS_REFRESHED = ("registration-header", "next-step", "timeline")
# Forms that add a record: their input survives a conflict (edit forms show the stored values).
ADD_FORMS = ("policy_new", "contact")


def block_name(dom_id: str) -> str:
    """A block is named after its element's id (`next-step` → `next_step`)."""
    return dom_id.replace("-", "_")


@dataclass(frozen=True)
class Notice:
    """A message shown at the top of one section: why a change was not made."""

    section: str
    kind: str  # "invalid" (422), "refused" (422/403), "conflict" (409)
    text: str


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _context(
    registration: Registration,
    *,
    notice: Notice | None = None,
    forms: dict[str, Any] | None = None,
    editing_intake: bool = False,
    editing_policy: int | None = None,
    typed: dict[str, str] | None = None,
    focus: str | None = None,
    status_message: str | None = None,
    page_error: bool = False,
) -> dict[str, Any]:
    can = service.permissions(registration, current_user)
    forms = dict(forms or {})
    forms.setdefault("policy_new", PolicyForm())
    forms.setdefault("contact", ContactForm.blank())
    forms.setdefault(
        "first_exchange_date", FirstExchangeDateForm(data={"first_exchange_date": registration.first_exchange_date})
    )
    if editing_intake:
        forms.setdefault("intake", IntakeEditForm.from_registration(registration))
    if editing_policy is not None:
        policy = service.find_policy(registration, editing_policy)
        if policy is None:
            editing_policy = None
        else:
            forms.setdefault("policy_edit", PolicyForm(obj=policy))

    step = registration.step
    step_index = STEPS.index(step)
    open_step = step != "live" and not registration.is_withdrawn
    return {
        "registration": registration,
        "can": can,
        "steps": [(s, STEP_LABELS[s], "done" if i < step_index else "current" if i == step_index else "todo")
                  for i, s in enumerate(STEPS)],
        "step_label": STEP_LABELS[step],
        "owner_label": TEAM_LABELS.get(workflow.owner_of(step) or "", ""),
        "next_label": STEP_LABELS.get(workflow.next_step(step) or ""),
        "previous_label": STEP_LABELS.get(workflow.previous_step(step) or ""),
        "requirements": workflow.advance_requirements(registration) if open_step else [],
        "days_in_step": max(0, (utcnow() - registration.step_entered_at).days),
        "duplicates": service.duplicates_of(registration),
        "staff": service.assignable_staff(current_user) if can.assign else [],
        "prerequisite_groups": [
            ("user", _("De Loket.nl-gebruiker"), [p for p in PREREQUISITES if p.group == "user"]),
            ("right", _("De zes rechten"), [p for p in PREREQUISITES if p.group == "right"]),
        ],
        "checks": {check.key: check for check in registration.checks},
        "prerequisite_count": len(PREREQUISITES),
        "timeline": timeline.entries(registration.events),
        "channel_labels": CHANNEL_LABELS,
        "today": workflow.today_local(),
        "forms": forms,
        "notice": notice,
        "editing_intake": editing_intake,
        "editing_policy": editing_policy,
        "typed": typed or {},
        "focus": focus,
        "status_message": status_message,
        "page_error": page_error,
    }


def _hx_partial(dom_id: str, html: str) -> str:
    return f'<hx-partial hx-target="#{dom_id}" hx-swap="outerSync">{html}</hx-partial>'


def _render(
    registration_id: int, dom_ids: list[str], status: int = 200, loaded: Registration | None = None, **state: Any
):
    """The full page, or for an HTMX partial request the first section plus the
    others as <hx-partial>s. Always from freshly loaded data: `loaded` is what
    _load_detail returned in this request, if the route needed it first."""
    registration = loaded or _load_detail(registration_id)
    context = _context(registration, page_error=status >= 400, **state)
    if is_partial():
        first, *rest = dict.fromkeys(dom_ids)  # ordered, without repeats
        body = render_block(TEMPLATE, block_name(first), **context).strip()
        body += "".join(
            _hx_partial(dom_id, render_block(TEMPLATE, block_name(dom_id), **context).strip()) for dom_id in rest
        )
    else:
        body = render_template(TEMPLATE, **context)
    return make_response(body, status), registration


class Reply:
    """The answer to one action on one section (`dom_id`) of the page."""

    def __init__(self, registration_id: int, dom_id: str, *, whole_page: bool = False):
        self.registration_id = registration_id
        self.dom_id = dom_id
        # A change of step or of withdrawal changes what every section offers.
        self.whole_page = whole_page

    def saved(self, message: str, *, expected_version: int, focus: str | None = None):
        if not is_partial():
            flash(message, "success")
            url = url_for(".detail", registration_id=self.registration_id, _anchor=self.dom_id)
            return redirect(url, code=303)
        if self.whole_page:
            response, _registration = _render(
                self.registration_id, ["registration-detail", "detail-status"], focus=focus, status_message=message
            )
            response.headers["HX-Retarget"] = "#registration-detail"
            return response
        response, registration = _render(
            self.registration_id,
            [self.dom_id, *ALWAYS_REFRESHED, "detail-status"],
            focus=focus,
            status_message=message,
        )
        # Sections that were not re-sent show data that did not change, but their
        # forms carry the old version: app.js moves them on to the new one.
        return trigger(
            response,
            **{"registration:saved": {"id": registration.id, "from": expected_version, "to": registration.version}},
        )

    def invalid(self, **state: Any):
        """Input that did not pass the checks: the section again with the errors, 422."""
        response, _registration = _render(self.registration_id, [self.dom_id], status=422, **state)
        return response

    def refused(self, error: WorkflowError, **state: Any):
        """A change workflow.py or service.py refused (rolled back by workflow.transaction())."""
        if isinstance(error, StaleRegistration):
            return self.conflict(str(error), **state)
        notice = Notice(self.dom_id, "refused", str(error))
        response, _registration = _render(
            self.registration_id, [self.dom_id], status=error.status_code, notice=notice, **state
        )
        return response

    def conflict(self, message: str, **state: Any):
        """409: somebody else changed the registration. Show everything as it is now.

        Edit forms show the stored values again; what was typed into a form that
        adds something (a policy, a contact) stays, ready to send after a look."""
        notice = Notice(self.dom_id, "conflict", message)
        state["forms"] = {name: form for name, form in (state.get("forms") or {}).items() if name in ADD_FORMS}
        response, _registration = _render(
            self.registration_id, ["registration-detail", "detail-status"], status=409, notice=notice,
            status_message=message, **state,
        )
        if is_partial():
            response.headers["HX-Retarget"] = "#registration-detail"
        return response


def _expected_version() -> int:
    """The version the form was rendered with (every form carries it)."""
    raw = request.form.get("version", "").strip()
    if not raw.isdigit():
        abort(400)
    return int(raw)


def _load_detail(registration_id: int) -> Registration:
    registration = service.load_detail(registration_id)
    if registration is None:
        abort(404)
    return registration


def _for_change(registration_id: int) -> Registration:
    registration = service.load_for_change(registration_id)
    if registration is None:
        abort(404)
    return registration


# ---------------------------------------------------------------------------
# The page and its sections (GET)
# ---------------------------------------------------------------------------


@bp.get("/registrations/<int:registration_id>")
@staff_required
def detail(registration_id: int):
    response, _registration = _render(registration_id, ["registration-detail"])
    return response


@bp.get("/registrations/<int:registration_id>/intake")
@staff_required
def intake(registration_id: int):
    response, _registration = _render(registration_id, ["intake-data"], focus="intake-edit-link")
    return response


@bp.get("/registrations/<int:registration_id>/intake/edit")
@roles_required("asr")
def edit_intake(registration_id: int):
    response, _registration = _render(registration_id, ["intake-data"], editing_intake=True, focus="intake-first-field")
    return response


@bp.get("/registrations/<int:registration_id>/policies")
@staff_required
def policies(registration_id: int):
    response, _registration = _render(registration_id, ["policies"])
    return response


@bp.get("/registrations/<int:registration_id>/policies/<int:policy_id>/edit")
@roles_required("asr")
def edit_policy(registration_id: int, policy_id: int):
    registration = _load_detail(registration_id)
    if service.find_policy(registration, policy_id) is None:
        abort(404)
    response, _registration = _render(
        registration_id, ["policies"], loaded=registration, editing_policy=policy_id,
        focus=f"policy-{policy_id}-first-field",
    )
    return response


# ---------------------------------------------------------------------------
# Intake data
# ---------------------------------------------------------------------------


@bp.post("/registrations/<int:registration_id>/intake")
@roles_required("asr")
def save_intake(registration_id: int):
    registration = _for_change(registration_id)
    reply = Reply(registration_id, "intake-data")
    version = _expected_version()
    form = IntakeEditForm()
    if not form.validate():
        return reply.invalid(forms={"intake": form}, editing_intake=True)
    try:
        with workflow.transaction():
            changes = service.update_intake(registration, current_user, form.values(), version)
    except StaleRegistration as error:
        # Current values in the form; what the user typed is listed so nothing is lost silently.
        return reply.conflict(str(error), editing_intake=True, typed={"intake": form.typed()})
    except WorkflowError as error:
        return reply.refused(error, forms={"intake": form}, editing_intake=True)
    message = _("Aanmeldgegevens opgeslagen.") if changes else _("Geen wijzigingen: er was niets veranderd.")
    return reply.saved(message, expected_version=version, focus="intake-data-heading")


@bp.post("/registrations/<int:registration_id>/intake/checked")
@roles_required("asr")
def intake_checked(registration_id: int):
    registration = _for_change(registration_id)
    reply = Reply(registration_id, "intake-data")
    version = _expected_version()
    checked = request.form.get("checked") == "1"
    try:
        with workflow.transaction():
            service.set_intake_checked(registration, current_user, checked, version)
    except WorkflowError as error:
        return reply.refused(error)
    message = _("Aanmeldgegevens gemarkeerd als gecontroleerd.") if checked else _("Controle ongedaan gemaakt.")
    return reply.saved(message, expected_version=version, focus="intake-checked-button")


# ---------------------------------------------------------------------------
# Policies
# ---------------------------------------------------------------------------


@bp.post("/registrations/<int:registration_id>/policies")
@roles_required("asr")
def add_policy(registration_id: int):
    registration = _for_change(registration_id)
    reply = Reply(registration_id, "policies")
    version = _expected_version()
    form = PolicyForm(request.form)
    if not form.validate():
        return reply.invalid(forms={"policy_new": form}, focus="policy-new-errors")
    try:
        with workflow.transaction():
            policy = service.add_policy(registration, current_user, form.values(), version)
    except WorkflowError as error:
        return reply.refused(error, forms={"policy_new": form})
    return reply.saved(
        _("Polis %(number)s toegevoegd.", number=policy.policy_number), expected_version=version,
        focus=f"policy-{policy.id}",
    )


@bp.post("/registrations/<int:registration_id>/policies/<int:policy_id>/edit")
@roles_required("asr")
def save_policy(registration_id: int, policy_id: int):
    registration = _for_change(registration_id)
    reply = Reply(registration_id, "policies")
    version = _expected_version()
    try:
        policy = service.find_policy_for_change(registration, policy_id, version)
    except StaleRegistration as error:  # a colleague removed it
        return reply.conflict(str(error))
    if policy is None:
        abort(404)
    form = PolicyForm(request.form)
    if not form.validate():
        return reply.invalid(forms={"policy_edit": form}, editing_policy=policy_id, focus=f"policy-{policy_id}-errors")
    try:
        with workflow.transaction():
            changes = service.update_policy(registration, policy, current_user, form.values(), version)
            number = policy.policy_number
    except StaleRegistration as error:
        return reply.conflict(str(error), editing_policy=policy_id)
    except WorkflowError as error:
        return reply.refused(error, forms={"policy_edit": form}, editing_policy=policy_id)
    message = _("Polis %(number)s opgeslagen.", number=number) if changes else _("Geen wijzigingen: er was niets veranderd.")
    return reply.saved(message, expected_version=version, focus=f"policy-{policy_id}")


@bp.post("/registrations/<int:registration_id>/policies/<int:policy_id>/delete")
@roles_required("asr")
def delete_policy(registration_id: int, policy_id: int):
    registration = _for_change(registration_id)
    reply = Reply(registration_id, "policies")
    version = _expected_version()
    try:
        policy = service.find_policy_for_change(registration, policy_id, version)
    except StaleRegistration as error:  # a colleague removed it first
        return reply.conflict(str(error))
    if policy is None:
        abort(404)
    number = policy.policy_number
    try:
        with workflow.transaction():
            service.remove_policy(registration, policy, current_user, version)
    except WorkflowError as error:
        return reply.refused(error)
    return reply.saved(_("Polis %(number)s verwijderd.", number=number), expected_version=version,
                       focus="policies-heading")


# ---------------------------------------------------------------------------
# Authorisation checklist
# ---------------------------------------------------------------------------


@bp.post("/registrations/<int:registration_id>/checks/<key>")
@roles_required("keylane")
def toggle_check(registration_id: int, key: str):
    if key not in workflow.PREREQUISITE_KEYS:
        abort(404)
    registration = _for_change(registration_id)
    reply = Reply(registration_id, "checks")
    version = _expected_version()
    ticked = request.form.get("ticked") == "1"
    try:
        with workflow.transaction():
            service.set_check(registration, current_user, key, ticked, version)
    except WorkflowError as error:
        return reply.refused(error)
    label = next(p.label for p in PREREQUISITES if p.key == key)
    message = _("Afgevinkt: %(label)s.", label=label) if ticked else _("Vinkje weggehaald: %(label)s.", label=label)
    return reply.saved(message, expected_version=version, focus=f"check-{key}-button")


# ---------------------------------------------------------------------------
# Contact log
# ---------------------------------------------------------------------------


@bp.post("/registrations/<int:registration_id>/contacts")
@roles_required("asr", "keylane")
def add_contact(registration_id: int):
    registration = _for_change(registration_id)
    reply = Reply(registration_id, "contacts")
    version = _expected_version()
    form = ContactForm(request.form)
    if not form.validate():
        return reply.invalid(forms={"contact": form}, focus="contact-new-errors")
    try:
        with workflow.transaction():
            entry = service.add_contact(registration, current_user, form.values(), version)
    except WorkflowError as error:
        return reply.refused(error, forms={"contact": form})
    return reply.saved(_("Contact vastgelegd."), expected_version=version, focus=f"contact-{entry.id}")


# ---------------------------------------------------------------------------
# Transitions (workflow.py)
# ---------------------------------------------------------------------------


@bp.post("/registrations/<int:registration_id>/assign")
@roles_required("asr", "keylane")
def assign(registration_id: int):
    registration = _for_change(registration_id)
    reply = Reply(registration_id, "assignment")
    version = _expected_version()
    action = request.form.get("action", "assign")
    try:
        with workflow.transaction():
            if action == "take":
                assignee = current_user._get_current_object()
            elif action == "release":
                assignee = None
            elif action == "assign":
                raw = request.form.get("assignee_id", "")
                assignee = db.session.get(User, int(raw)) if raw.isdigit() else None
                if assignee is None:
                    raise WorkflowError(_("Kies een collega om aan toe te wijzen."))
            else:
                abort(400)
            before = registration.assignee_id
            workflow.assign(registration, current_user, assignee, expected_version=version)
    except WorkflowError as error:
        return reply.refused(error)
    if before == (assignee.id if assignee else None):
        message = _("Geen wijziging: dat was al zo.")
    elif assignee is None:
        message = _("Vrijgegeven: niemand is nu toegewezen.")
    else:
        message = _("Toegewezen aan %(name)s.", name=assignee.name)
    return reply.saved(message, expected_version=version, focus="assignment-heading")


@bp.post("/registrations/<int:registration_id>/first-exchange-date")
@roles_required("keylane")
def first_exchange_date(registration_id: int):
    registration = _for_change(registration_id)
    reply = Reply(registration_id, "first-exchange-date")
    version = _expected_version()
    form = FirstExchangeDateForm(request.form)
    if not form.validate():
        return reply.invalid(forms={"first_exchange_date": form}, focus="first-exchange-date-errors")
    try:
        with workflow.transaction():
            workflow.set_first_exchange_date(
                registration, current_user, form.first_exchange_date.data, expected_version=version
            )
    except WorkflowError as error:
        return reply.refused(error, forms={"first_exchange_date": form})
    message = _("Datum eerste uitwisseling: %(date)s.", date=format_date(form.first_exchange_date.data, "d MMMM y"))
    return reply.saved(message, expected_version=version, focus="first-exchange-date-heading")


@bp.post("/registrations/<int:registration_id>/waiting")
@roles_required("asr", "keylane")
def set_waiting(registration_id: int):
    registration = _for_change(registration_id)
    reply = Reply(registration_id, "waiting")
    version = _expected_version()
    reason = request.form.get("reason", "")
    try:
        with workflow.transaction():
            workflow.set_waiting(registration, current_user, reason, expected_version=version)
    except WorkflowError as error:
        return reply.refused(error, typed={"waiting_reason": reason})
    return reply.saved(_("Gemarkeerd als wachtend op de salarisverwerker."), expected_version=version,
                       focus="waiting-heading")


@bp.post("/registrations/<int:registration_id>/waiting/clear")
@roles_required("asr", "keylane")
def clear_waiting(registration_id: int):
    registration = _for_change(registration_id)
    reply = Reply(registration_id, "waiting")
    version = _expected_version()
    try:
        with workflow.transaction():
            workflow.clear_waiting(registration, current_user, expected_version=version)
    except WorkflowError as error:
        return reply.refused(error)
    return reply.saved(_("Wacht niet meer op de salarisverwerker."), expected_version=version, focus="waiting-heading")


@bp.post("/registrations/<int:registration_id>/withdraw")
@roles_required("asr")
def withdraw(registration_id: int):
    registration = _for_change(registration_id)
    reply = Reply(registration_id, "withdrawal", whole_page=True)
    version = _expected_version()
    reason = request.form.get("reason", "")
    try:
        with workflow.transaction():
            workflow.withdraw(registration, current_user, reason, expected_version=version)
    except WorkflowError as error:
        return reply.refused(error, typed={"withdraw_reason": reason})
    return reply.saved(_("Aanmelding ingetrokken."), expected_version=version, focus="registration-heading")


@bp.post("/registrations/<int:registration_id>/reopen")
@roles_required("asr")
def reopen(registration_id: int):
    registration = _for_change(registration_id)
    reply = Reply(registration_id, "withdrawal", whole_page=True)
    version = _expected_version()
    try:
        with workflow.transaction():
            workflow.reopen(registration, current_user, expected_version=version)
    except WorkflowError as error:
        return reply.refused(error)
    return reply.saved(_("Aanmelding heropend."), expected_version=version, focus="registration-heading")


@bp.post("/registrations/<int:registration_id>/advance")
@roles_required("asr", "keylane")
def advance(registration_id: int):
    registration = _for_change(registration_id)
    reply = Reply(registration_id, "next-step", whole_page=True)
    version = _expected_version()
    try:
        with workflow.transaction():
            step = workflow.advance(
                registration, current_user, expected_version=version,
                confirm_first_exchange=request.form.get("confirm_first_exchange") == "1",
            )
    except WorkflowError as error:
        return reply.refused(error)
    return reply.saved(_("Naar de stap ‘%(step)s’.", step=STEP_LABELS[step]), expected_version=version,
                       focus="registration-heading")


@bp.post("/registrations/<int:registration_id>/back")
@roles_required("asr", "keylane")
def move_back(registration_id: int):
    registration = _for_change(registration_id)
    reply = Reply(registration_id, "next-step", whole_page=True)
    version = _expected_version()
    reason = request.form.get("reason", "")
    try:
        with workflow.transaction():
            step = workflow.move_back(registration, current_user, reason, expected_version=version)
    except WorkflowError as error:
        return reply.refused(error, typed={"back_reason": reason})
    return reply.saved(_("Terug naar de stap ‘%(step)s’.", step=STEP_LABELS[step]), expected_version=version,
                       focus="registration-heading")
