"""The transitions of the process and their guards: the one place the workflow lives.

The steps and their owners are caseapp.process's words, who may act is
caseapp.permissions', the e-mail a transition queues is caseapp.notifications'.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from . import notifications, permissions, validators
from .changes import WorkflowError, check_version, record_event, require_open
from .dates import today_local, utcnow
from .extensions import db
from .models import Attachment, ProcessorRequest, ProcessorRequestItem, Registration, User
from .process import ANSWER_LABELS, KEYLANE_STEPS, PREREQUISITES, next_step, party_for, previous_step

# ---------------------------------------------------------------------------
# Transitions. Every change: checks the role and the guard on the server,
# checks the version the user saw, records an event. The caller commits, in
# transaction(): the version column then lets one of two racing changes win.
# ---------------------------------------------------------------------------


def ball_party(registration: Registration) -> Optional[str]:
    """Who has the ball now ("asr", "keylane", "processor" or None)."""
    return party_for(registration.step, registration.is_waiting, registration.is_withdrawn)


def _pass_ball(registration: Registration, before: Optional[str], at: datetime) -> None:
    """After a change of state: if the ball changed hands, it did so `at`.

    Moving on between two steps of the same team keeps the team's clock running,
    as the event replay in caseapp.insight.clocks counts it.
    """
    after = ball_party(registration)
    if after != before:
        registration.ball_since = at if after is not None else None


def advance_requirements(registration: Registration) -> list[str]:
    """What is still missing before the registration may move to the next step.

    Empty means the guard is satisfied. Reads policies and checks, so load
    them first where many registrations are evaluated at once.
    """
    step = registration.step
    missing: list[str] = []
    if step == "received":
        if registration.assignee_id is None:
            missing.append(str(_l("Iemand moet de aanmelding eerst oppakken (toewijzen).")))
    elif step == "policy":
        if not any(is_complete_policy(p) for p in registration.policies):
            missing.append(str(_l("Voeg minstens één volledige polis toe (polisnummer, regeling en ingangsdatum).")))
        if not registration.intake_checked:
            missing.append(str(_l("Vink aan dat de aanmeldgegevens zijn gecontroleerd.")))
    elif step == "setup":
        ticked = {check.key for check in registration.checks}
        open_checks = [p for p in PREREQUISITES if p.key not in ticked]
        if open_checks:
            missing.append(
                str(_l("Vink alle autorisatiecontroles aan (nog open: %(n)d).", n=len(open_checks)))
            )
        if registration.first_exchange_date is None:
            missing.append(str(_l("Stel de datum van de eerste uitwisseling in.")))
        elif registration.first_exchange_date < today_local():
            missing.append(str(_l("De datum van de eerste uitwisseling ligt in het verleden; kies een nieuwe datum.")))
    elif step == "realised":
        if registration.first_exchange_date is None or registration.first_exchange_date >= today_local():
            missing.append(
                str(_l("De eerste uitwisseling is nog niet geweest. Bevestig dat ze heeft plaatsgevonden."))
            )
    return missing


def is_complete_policy(policy) -> bool:
    return bool(policy.policy_number and policy.scheme and policy.start_date)


def _change_step(registration: Registration, actor: User, to: str, **data: Any) -> None:
    before, party = registration.step, ball_party(registration)
    now = utcnow()
    registration.step = to
    registration.step_entered_at = now
    if to == "realised" and registration.realised_at is None:
        registration.realised_at = now
    if to == "live":
        registration.live_at = now
    _pass_ball(registration, party, now)
    record_event(registration, "step_changed", actor=actor, at=now, **{"from": before, "to": to}, **data)


def advance(
    registration: Registration,
    actor: User,
    expected_version: int | None = None,
    confirm_first_exchange: bool = False,
) -> str:
    """Move to the next step when its guard holds; returns the new step."""
    check_version(registration, expected_version)
    require_open(registration)
    permissions.require(actor, "advance", registration)
    target = next_step(registration.step)
    if target is None:
        raise WorkflowError(str(_l("Dit is de laatste stap.")))
    if registration.is_waiting:
        raise WorkflowError(
            str(_l("Deze aanmelding wacht op de salarisverwerker. Haal eerst de wachtstatus weg."))
        )
    missing = advance_requirements(registration)
    if registration.step == "realised" and confirm_first_exchange:
        missing = []  # Keylane confirms the first exchange took place
    if missing:
        raise WorkflowError(" ".join(missing))
    _change_step(registration, actor, target, confirmed=bool(confirm_first_exchange) or None)
    notifications.step_reached(registration, target)
    return target


def move_back(registration: Registration, actor: User, reason: str, expected_version: int | None = None) -> str:
    """Move to the previous step, with a reason (kept in the audit trail)."""
    check_version(registration, expected_version)
    require_open(registration)
    permissions.require(actor, "move_back", registration)
    reason = _reason(reason, _l("Geef een reden om een stap terug te gaan."))
    target = previous_step(registration.step)
    if target is None:
        raise WorkflowError(str(_l("Dit is de eerste stap.")))
    _change_step(registration, actor, target, reason=reason, direction="back")
    return target


def _reason(raw: str | None, message) -> str:
    reason = " ".join((raw or "").split())
    if not reason:
        raise WorkflowError(str(message))
    if len(reason) > 500:
        raise WorkflowError(str(_l("De reden is hoogstens 500 tekens lang.")))
    return reason


def withdraw(registration: Registration, actor: User, reason: str, expected_version: int | None = None) -> None:
    check_version(registration, expected_version)
    permissions.require(actor, "withdraw", registration)
    _withdraw(registration, reason, actor=actor)


class AlreadyWithdrawn(WorkflowError):
    """The processor's withdrawal again (a double submit): it was stored the first time."""


def withdraw_by_processor(registration: Registration, reason: str) -> None:
    """The processor withdraws on the status page: as staff do, and the owning team is told."""
    if registration.is_withdrawn:
        raise AlreadyWithdrawn(str(_l("Deze aanmelding was al ingetrokken.")))
    _withdraw(registration, reason, actor_label="processor")


def check_withdrawable(registration: Registration) -> None:
    """Raise WorkflowError when the registration cannot be withdrawn (withdrawn already, or live)."""
    require_open(registration)
    if registration.step == "live":
        raise WorkflowError(str(_l("Een koppeling die live is kan niet meer worden ingetrokken.")))


def _withdraw(registration: Registration, reason: str, actor: User | None = None, actor_label: str | None = None):
    check_withdrawable(registration)
    reason = _reason(reason, _l("Geef een reden voor het intrekken."))
    party, now = ball_party(registration), utcnow()
    registration.withdrawn_reason = reason
    registration.withdrawn_at = now
    _pass_ball(registration, party, now)
    record_event(registration, "withdrawn", actor, actor_label, now, reason=reason, step=registration.step)
    notifications.withdrawn(registration, reason, by_processor=actor is None)


def reopen(registration: Registration, actor: User, expected_version: int | None = None) -> None:
    check_version(registration, expected_version)
    permissions.require(actor, "reopen", registration)
    if not registration.is_withdrawn:
        raise WorkflowError(str(_l("Deze aanmelding is niet ingetrokken.")))
    party, now = ball_party(registration), utcnow()
    record_event(
        registration, "reopened", actor=actor, at=now, reason=registration.withdrawn_reason, step=registration.step
    )
    registration.withdrawn_reason = None
    registration.withdrawn_at = None
    _pass_ball(registration, party, now)


# ---------------------------------------------------------------------------
# Waiting on the processor: a request (what the team asks, item by item) and
# the processor's answer. registration.waiting_reason/waiting_since are set and
# cleared with the request, so what reads them (the board, the clocks, the
# digest) sees the same as before requests existed.
# ---------------------------------------------------------------------------


class RequestClosed(WorkflowError):
    """An answer to a request that is no longer open (answered in another tab,
    stopped by the team, or replaced by a new one). Nothing is stored."""

    status_code = 409


class AnswerAlreadyReceived(RequestClosed):
    """The same answer again (a double submit): it was stored the first time."""


def set_waiting(
    registration: Registration, actor: User, reason: str, items: Iterable[str], expected_version: int | None = None
) -> ProcessorRequest:
    """Ask the processor for `items` (prerequisite keys or "other", at least one)
    with the message `reason`; pauses the owning team's clock until the answer."""
    check_version(registration, expected_version)
    require_open(registration)
    permissions.require(actor, "set_waiting", registration)
    if registration.is_waiting:
        raise WorkflowError(str(_l("Deze aanmelding wacht al op de salarisverwerker: er staat één verzoek tegelijk "
                                   "open.")))
    try:
        message, keys = validators.request_message(reason), validators.request_items(items)
    except validators.InvalidValue as error:
        raise WorkflowError(str(error)) from None
    return _wait_for(registration, actor, message, keys)


def reopen_request(registration: Registration, actor: User, expected_version: int | None = None) -> ProcessorRequest:
    """The answer was not enough: ask the same again (a new request with the same
    items and message), and wait on the processor again."""
    check_version(registration, expected_version)
    require_open(registration)
    permissions.require(actor, "reopen_request", registration)
    if registration.is_waiting:
        raise WorkflowError(str(_l("Deze aanmelding wacht al op de salarisverwerker.")))
    latest = _find_request(registration)
    if latest is None or not latest.is_answered:
        raise WorkflowError(str(_l("Er is geen beantwoord verzoek om opnieuw uit te zetten.")))
    return _wait_for(registration, actor, latest.message, latest.item_keys, reopened_from=latest.id)


def clear_waiting(registration: Registration, actor: User, expected_version: int | None = None) -> None:
    """The team stops waiting (without an answer): the open request is closed."""
    check_version(registration, expected_version)
    permissions.require(actor, "clear_waiting", registration)
    if not registration.is_waiting:
        raise WorkflowError(str(_l("Deze aanmelding wacht niet op de salarisverwerker.")))
    party, now = ball_party(registration), utcnow()
    request = _find_request(registration, open_only=True)
    if request is not None:
        request.closed_at, request.closed_by_id = now, actor.id
    record_event(registration, "waiting_cleared", actor=actor, at=now, reason=registration.waiting_reason,
                 **({"request_id": request.id} if request is not None else {}))
    registration.waiting_reason = None
    registration.waiting_since = None
    _pass_ball(registration, party, now)


def answer_request(
    registration: Registration,
    answer: str,
    comment: str | None = None,
    upload: validators.Upload | None = None,
    request_id: int | None = None,
) -> ProcessorRequest:
    """The processor answers the open request (`request_id`: the one their page
    showed) on the status page: the request closes, the wait ends, the ball goes
    back to the team that owns the step, and that team gets an e-mail.

    Raises AnswerAlreadyReceived for the same answer sent twice, RequestClosed
    when the request was closed in the meantime; nothing is stored then."""
    if registration.is_withdrawn:
        raise WorkflowError(str(_l("Deze aanmelding is ingetrokken. Een antwoord is niet meer nodig.")))
    comment = comment or None
    request = _find_request(registration, open_only=True)
    if request is None or (request_id is not None and request.id != request_id):
        _refuse_closed(registration, answer, comment, upload, request_id)
    if answer not in ANSWER_LABELS:
        raise WorkflowError(str(_l("Kies ‘Geregeld’ of ‘Ik heb een vraag’.")))
    party, now = ball_party(registration), utcnow()
    request.answer, request.answer_comment = answer, comment
    request.answered_at = request.closed_at = now
    if upload is not None:
        request.attachment = Attachment(filename=upload.filename, content_type=upload.content_type,
                                        size=len(upload.data), sha256=upload.sha256, data=upload.data)
    registration.waiting_reason = None
    registration.waiting_since = None
    registration.answer_received_at = now
    _pass_ball(registration, party, now)
    db.session.flush()  # for the attachment's id in the event
    attachment = request.attachment
    record_event(
        registration, "request_answered", actor_label="processor", at=now, request_id=request.id, answer=answer,
        comment=comment, attachment_id=attachment.id if attachment else None,
        attachment=attachment.filename if attachment else None,
    )
    notifications.request_answered(registration, request)
    return request


def _wait_for(registration: Registration, actor: User, message: str, keys: list[str], **data: Any) -> ProcessorRequest:
    party, now = ball_party(registration), utcnow()
    request = ProcessorRequest(
        registration_id=registration.id, message=message, opened_by_id=actor.id, opened_at=now,
        items=[ProcessorRequestItem(key=key, position=index) for index, key in enumerate(keys)],
    )
    db.session.add(request)
    registration.waiting_reason = validators.one_line(message, 500)
    registration.waiting_since = now
    _pass_ball(registration, party, now)
    db.session.flush()  # for the request's id in the event
    record_event(registration, "waiting_set", actor=actor, at=now, reason=message, items=keys, request_id=request.id,
                 **data)
    notifications.waiting_on_processor(registration, request, reopened="reopened_from" in data)
    return request


def _find_request(registration: Registration, open_only: bool = False, request_id: int | None = None):
    """The registration's open request, the one with `request_id`, or its newest; with items and attachment."""
    query = (
        sa.select(ProcessorRequest)
        .where(ProcessorRequest.registration_id == registration.id)
        .options(so.selectinload(ProcessorRequest.items), so.joinedload(ProcessorRequest.attachment))
        .order_by(ProcessorRequest.id.desc())
        .limit(1)
    )
    if open_only:
        query = query.where(ProcessorRequest.closed_at.is_(None))
    if request_id is not None:
        query = query.where(ProcessorRequest.id == request_id)
    return db.session.scalar(query)


def _refuse_closed(registration, answer, comment, upload, request_id) -> None:
    """Why an answer finds no open request: it was already received, or the request was closed."""
    answered = _find_request(registration, request_id=request_id)
    if answered is not None and answered.is_answered:
        same_file = (answered.attachment.sha256 if answered.attachment else None) == (upload.sha256 if upload else None)
        if (answered.answer, answered.answer_comment) == (answer, comment) and same_file:
            raise AnswerAlreadyReceived(str(_l("Uw antwoord was al ontvangen en is één keer opgeslagen. U hoeft "
                                               "niets meer te doen.")))
    if _find_request(registration, open_only=True) is not None:
        raise RequestClosed(str(_l("Dit verzoek is intussen vervangen door een nieuw verzoek. Uw antwoord is niet "
                                   "opgeslagen: lees het nieuwe verzoek hieronder en antwoord daarop.")))
    raise RequestClosed(str(_l("Er staat geen verzoek meer open: het is al beantwoord of afgesloten. Uw antwoord "
                               "is niet opgeslagen.")))


def assign(registration: Registration, actor: User, assignee: User | None, expected_version: int | None = None) -> None:
    """Take a registration (assignee=actor), hand it to a colleague, or release it (None)."""
    check_version(registration, expected_version)
    permissions.require(actor, "assign", registration)
    if assignee is not None and not assignee.active:
        raise WorkflowError(str(_l("Deze collega heeft geen actief account.")))
    if assignee is not None:
        permissions.require_assignable(actor, assignee)
    before = registration.assignee_id
    if before == (assignee.id if assignee else None):
        return
    registration.assignee_id = assignee.id if assignee else None
    record_event(
        registration,
        "assigned",
        actor=actor,
        before=before,
        after=assignee.id if assignee else None,
        assignee=assignee.name if assignee else None,
    )


def set_first_exchange_date(
    registration: Registration, actor: User, new_date, expected_version: int | None = None
) -> None:
    """Keylane sets the first-exchange date; a change after the processor was told is news."""
    check_version(registration, expected_version)
    require_open(registration)
    permissions.require(actor, "set_first_exchange_date", registration)
    if registration.step not in KEYLANE_STEPS:
        raise WorkflowError(str(_l("De datum wordt ingesteld tijdens de inrichting door Keylane.")))
    if new_date is None:
        raise WorkflowError(str(_l("Vul een datum in.")))
    if new_date < today_local():
        raise WorkflowError(str(_l("De datum van de eerste uitwisseling mag niet in het verleden liggen.")))
    old = registration.first_exchange_date
    if old == new_date:
        return
    registration.first_exchange_date = new_date
    record_event(
        registration,
        "first_exchange_date_set",
        actor=actor,
        before=old.isoformat() if old else None,
        after=new_date.isoformat(),
    )
    notifications.first_exchange_date_set(registration)
