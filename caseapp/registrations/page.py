"""The registration detail page: what it shows (DetailView), how it answers
(the whole page, or for HTMX one section with others as <hx-partial>s), and
the answer to a change of one section (Change, and the @section_change decorator
that runs the same steps for every POST).

Every action works twice over:
- as a plain form: POST, then 303 back to the page (at the section's anchor);
  refused input or a refused change re-renders the whole page at 422/403;
- as an HTMX request: the section comes back, with the header, the next-step
  panel and the timeline as <hx-partial>s, so nothing on the page is stale.

Every form carries the registration version it was rendered with. A save from
an older version answers 409 with the current values (the whole detail, for
HTMX retargeted to #registration-detail) and says why; nothing is overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date
from functools import wraps
from typing import Any

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block

from .. import workflow
from ..changes import StaleRegistration, WorkflowError
from ..dates import today_local, utcnow
from ..htmx import is_partial, trigger
from ..inputs import parse_id
from ..models import AuthorisationCheck, Registration, User
from ..permissions import Allowed
from ..process import (
    PREREQUISITES,
    STEP_LABELS,
    STEPS,
    TEAM_LABELS,
    next_step,
    owner_of,
    prerequisite_groups,
    previous_step,
)
from . import service
from .forms import ContactForm, FirstExchangeDateForm, IntakeEditForm, PolicyForm
from .timeline import Entry, entries

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
# What the page shows
# ---------------------------------------------------------------------------


@dataclass
class DetailView:
    """One registration as the detail page shows it: what service.load_detail
    loaded (a fixed number of queries), plus its open duplicates and the
    colleagues it can be assigned to (one query each)."""

    registration: Registration
    can: Allowed  # can.<action>: permissions.may(user, action, registration)
    steps: list[tuple[str, Any, str]]  # (step, label, "done" | "current" | "todo")
    step_label: Any
    owner_label: Any
    next_label: Any
    previous_label: Any
    requirements: list[str]  # what is missing before the next step
    days_in_step: int
    duplicates: list[service.Match]
    staff: list[User]
    prerequisite_groups: list[tuple[str, Any, list]]
    checks: dict[str, AuthorisationCheck]
    prerequisite_count: int
    timeline: list[Entry]
    today: date

    @classmethod
    def of(cls, registration: Registration, user: User) -> DetailView:
        can = Allowed(user, registration)
        step = registration.step
        here = STEPS.index(step)
        return cls(
            registration=registration,
            can=can,
            steps=[(s, STEP_LABELS[s], "done" if i < here else "current" if i == here else "todo")
                   for i, s in enumerate(STEPS)],
            step_label=STEP_LABELS[step],
            owner_label=TEAM_LABELS.get(owner_of(step) or "", ""),
            next_label=STEP_LABELS.get(next_step(step) or ""),
            previous_label=STEP_LABELS.get(previous_step(step) or ""),
            requirements=workflow.advance_requirements(registration) if registration.is_open else [],
            days_in_step=max(0, (utcnow() - registration.step_entered_at).days),
            duplicates=service.duplicates_of(registration),
            staff=service.assignable_staff(user) if can.assign else [],
            prerequisite_groups=prerequisite_groups(),
            checks={check.key: check for check in registration.checks},
            prerequisite_count=len(PREREQUISITES),
            timeline=entries(registration.events, attachments={
                r.attachment.id for r in registration.requests if r.attachment is not None}),
            today=today_local(),
        )


@dataclass
class PageState:
    """What one answer adds to the page: the forms (with what was typed), the
    section being edited, why a change was not made, what to focus."""

    forms: dict[str, Any] = field(default_factory=dict)
    notice: Notice | None = None
    editing_intake: bool = False
    editing_policy: int | None = None
    typed: dict[str, Any] = field(default_factory=dict)
    focus: str | None = None
    status_message: str | None = None
    page_error: bool = False

    def complete(self, registration: Registration) -> PageState:
        """Every form the page shows: blank ones to add, edit forms from the stored values."""
        self.forms = forms = dict(self.forms)
        forms.setdefault("policy_new", PolicyForm())
        forms.setdefault("contact", ContactForm.blank())
        forms.setdefault(
            "first_exchange_date", FirstExchangeDateForm(data={"first_exchange_date": registration.first_exchange_date})
        )
        if self.editing_intake:
            forms.setdefault("intake", IntakeEditForm.from_registration(registration))
        if self.editing_policy is not None:
            policy = service.find_policy(registration, self.editing_policy)
            if policy is None:
                self.editing_policy = None
            else:
                forms.setdefault("policy_edit", PolicyForm(obj=policy))
        return self


def _names(instance: Any) -> dict[str, Any]:
    """A dataclass's fields as template names (not copied, unlike asdict)."""
    return {f.name: getattr(instance, f.name) for f in fields(instance)}


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _hx_partial(dom_id: str, html: str) -> str:
    return f'<hx-partial hx-target="#{dom_id}" hx-swap="outerSync">{html}</hx-partial>'


def _render(
    registration_id: int, dom_ids: list[str], status: int = 200, loaded: Registration | None = None, **state: Any
):
    """The full page, or for an HTMX partial request the first section plus the
    others as <hx-partial>s. Always from freshly loaded data: `loaded` is what
    load_detail() returned in this request, if the route needed it first."""
    registration = loaded or load_detail(registration_id)
    page = PageState(**state, page_error=status >= 400).complete(registration)
    context = {**_names(DetailView.of(registration, current_user)), **_names(page)}
    if is_partial():
        first, *rest = dict.fromkeys(dom_ids)  # ordered, without repeats
        body = render_block(TEMPLATE, block_name(first), **context).strip()
        body += "".join(
            _hx_partial(dom_id, render_block(TEMPLATE, block_name(dom_id), **context).strip()) for dom_id in rest
        )
    else:
        body = render_template(TEMPLATE, **context)
    return make_response(body, status), registration


def render(registration_id: int, dom_id: str, **state: Any):
    """The page (`registration-detail`), or one of its sections, as a GET shows it."""
    response, _registration = _render(registration_id, [dom_id], **state)
    return response


def load_detail(registration_id: int) -> Registration:
    """The registration with all the page shows (service.load_detail); 404 when there is none."""
    registration = service.load_detail(registration_id)
    if registration is None:
        abort(404)
    return registration


# ---------------------------------------------------------------------------
# Changes (POST)
# ---------------------------------------------------------------------------


class _Answered(Exception):
    """A change that ends before it is made (refused input): carries the answer."""

    def __init__(self, response):
        super().__init__()
        self.response = response


class Change:
    """One change of one section (`dom_id`) of the page, and its answer.

    What a route `keep`s is shown again when the change is not made: its form
    with what was typed, the record being edited. Edit forms show the stored
    values again after a conflict; what was typed into a form that adds
    something (a policy, a contact) stays, ready to send after a look."""

    def __init__(self, registration_id: int, registration: Registration, dom_id: str, version: int, *,
                 whole_page: bool = False):
        self.registration_id = registration_id
        self.registration = registration  # as service.load_for_change loaded it
        self.dom_id = dom_id
        self.version = version  # the version the form was rendered with
        # A change of step or of withdrawal changes what every section offers.
        self.whole_page = whole_page
        self._kept: dict[str, Any] = {}
        self._kept_on_conflict: dict[str, Any] = {}

    def keep(self, **state: Any) -> None:
        self._kept.update(state)

    def keep_on_conflict(self, **state: Any) -> None:
        self._kept_on_conflict.update(state)

    def reason(self, key: str) -> str:
        """The reason the form gives; a refused change shows it again (typed[key])."""
        return self.typed(key, request.form.get("reason", ""))

    def chosen(self, name: str, key: str) -> list[str]:
        """The values ticked in the form's checkboxes `name`; shown again when refused (typed[key])."""
        return self.typed(key, request.form.getlist(name))

    def typed(self, key: str, value: Any) -> Any:
        """Keep what the user typed as typed[key], to show it again when the change is not made."""
        self._kept.setdefault("typed", {})[key] = value
        return value

    def valid(self, name: str, form: Any, *, focus: str | None = None, **state: Any) -> Any:
        """`form` (shown as forms[name]) when its input passes its checks; otherwise
        the change ends here with the section again, its errors and 422."""
        self.keep(forms={name: form}, **state)
        if not form.validate():
            response, _registration = _render(self.registration_id, [self.dom_id], status=422, focus=focus,
                                              **self._kept)
            raise _Answered(response)
        return form

    def saved(self, message: str, *, focus: str | None = None):
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
            self.registration_id, [self.dom_id, *ALWAYS_REFRESHED, "detail-status"], focus=focus,
            status_message=message,
        )
        # Sections that were not re-sent show data that did not change, but their
        # forms carry the old version: app.js moves them on to the new one.
        saved = {"id": registration.id, "from": self.version, "to": registration.version}
        return trigger(response, **{"registration:saved": saved})

    def refused(self, error: WorkflowError):
        """A change workflow.py or service.py refused (rolled back by transaction())."""
        if isinstance(error, StaleRegistration):
            return self.conflict(str(error))
        notice = Notice(self.dom_id, "refused", str(error))
        response, _registration = _render(
            self.registration_id, [self.dom_id], status=error.status_code, notice=notice, **self._kept
        )
        return response

    def conflict(self, message: str):
        """409: somebody else changed the registration. Show everything as it is now."""
        state = {**self._kept, **self._kept_on_conflict}
        state["forms"] = {name: form for name, form in (state.get("forms") or {}).items() if name in ADD_FORMS}
        response, _registration = _render(
            self.registration_id, ["registration-detail", "detail-status"], status=409,
            notice=Notice(self.dom_id, "conflict", message), status_message=message, **state,
        )
        if is_partial():
            response.headers["HX-Retarget"] = "#registration-detail"
        return response


def _expected_version() -> int:
    """The version the form was rendered with (every form carries it)."""
    version = parse_id(request.form.get("version"))
    if version is None:
        abort(400)
    return version


def section_change(dom_id: str, *, whole_page: bool = False, exists: Callable[..., bool] | None = None) -> Callable:
    """A POST that changes section `dom_id`: the view gets a Change (the registration
    loaded for the change, the version the form carried) and returns change.saved(...).

    404 unless `exists(**url values)` (when given) and the registration exist; 400
    without a version; a WorkflowError the view raises (in transaction(),
    which rolled the change back) is answered as refused, or as a conflict."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(registration_id: int, **values: Any):
            if exists is not None and not exists(**values):
                abort(404)
            registration = service.load_for_change(registration_id)
            if registration is None:
                abort(404)
            change = Change(registration_id, registration, dom_id, _expected_version(), whole_page=whole_page)
            try:
                return view(change, **values)
            except _Answered as answered:
                return answered.response
            except WorkflowError as error:
                return change.refused(error)

        return wrapped

    return decorator
