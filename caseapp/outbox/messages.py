"""The messages the app sends, each built from `templates/email/<name>.txt` and
`.html` and queued in the caller's transaction (queue.py). Which transition
sends which message is caseapp.notifications'.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, Optional, Sequence

from flask import current_app, render_template
from flask_babel import gettext as _

from ..contacts import contact_for
from ..dates import local_date
from ..extensions import db
from ..models import OutboxMessage, ProcessorRequest, Registration
from ..process import ANSWER_LABELS, PayFrequency, Team, owner_of, request_item
from . import queue

log = logging.getLogger(__name__)


def queue_template(
    template: str,
    *,
    to: str,
    subject: str,
    registration: Optional[Registration] = None,
    reply_to: Optional[str] = None,
    **context: Any,
) -> OutboxMessage:
    """Render `email/<template>.txt` and `.html` and add the message to the session.

    Does not commit: the message is stored with the caller's transaction.
    """
    context = {"registration": registration, "base_url": _base_url(), "subject": subject, **context}
    return queue.add(
        template,
        to=to,
        subject=subject,
        text=render_template(f"email/{template}.txt", **context),
        html=render_template(f"email/{template}.html", **context),
        registration=registration,
        reply_to=reply_to,
    )


def queue_submission_received(registration: Registration, token: str) -> OutboxMessage:
    """To the processor: confirmation, what was submitted, the status link, what happens next.

    The one message that can carry the status link: only the token's hash is kept.
    """
    return _queue_to_processor(
        "submission_received",
        _("Aanmelding ontvangen"),
        registration,
        status_url=status_url(token),
        summary=_submission_summary(registration),
    )


def queue_new_registration(
    registration: Registration, possible_duplicate_of: tuple[str, ...] | list[str] = ()
) -> Optional[OutboxMessage]:
    """To the a.s.r. intake mailbox: a new registration to triage, with a link to it.

    No DGA names or personnel numbers: the team reads those in the app.
    """
    return _queue_to_team(
        "ASR_INTAKE_MAILBOX", "new_registration", _("Nieuwe aanmelding"), registration,
        possible_duplicate_of=list(possible_duplicate_of),
    )


def queue_setup_started(registration: Registration) -> Optional[OutboxMessage]:
    """To the Keylane mailbox: a registration reached `setup` and waits for Keylane."""
    return _queue_to_team("KEYLANE_MAILBOX", "setup_started", _("Klaar voor inrichting"), registration)


def queue_realised(registration: Registration) -> OutboxMessage:
    """To the processor: the link is realised, with the first-exchange date (step 4).

    Records that date as the one the processor was told about.
    """
    if registration.first_exchange_date is None:
        raise ValueError(f"{registration.reference} is realised without a first-exchange date")
    registration.first_exchange_date_notified = registration.first_exchange_date
    return _queue_to_processor("realised", _("Salariskoppeling gerealiseerd"), registration)


def queue_first_exchange_date_changed(
    registration: Registration, old_date: Optional[date]
) -> Optional[OutboxMessage]:
    """To the processor: the first-exchange date they were told about has changed.

    Queues nothing when the date is unchanged. Records the new date as told.
    """
    new_date = registration.first_exchange_date
    if new_date is None or new_date == old_date:
        return None
    registration.first_exchange_date_notified = new_date
    return _queue_to_processor(
        "first_exchange_date_changed", _("Nieuwe datum eerste uitwisseling"), registration, old_date=old_date
    )


def queue_withdrawn(registration: Registration, reason: str) -> OutboxMessage:
    """To the processor: the registration was withdrawn, and why."""
    return _queue_to_processor("withdrawn", _("Aanmelding ingetrokken"), registration, reason=reason)


def queue_waiting_on_processor(
    registration: Registration, reason: str, items: Sequence[str] = (), reopened: bool = False
) -> OutboxMessage:
    """To the processor: we need something from them before we can go on, and what
    (`items`: the request's items, each with what to do in Loket.nl). `reopened`:
    we asked this before, and the answer was not enough yet. The team that owns the
    step goes on once it is done: the mail's contact."""
    return _queue_to_processor(
        "waiting_on_processor", _("Actie nodig"), registration, reason=reason,
        items=[request_item(key) for key in items], reopened=reopened,
    )


def queue_reminder(registration: Registration, request: ProcessorRequest, number: int) -> OutboxMessage:
    """To the processor: reminder `number` of an open request, naming its open
    items and the status page where they answer it (caseapp.reminders)."""
    return _queue_to_processor(
        "reminder", _("Herinnering: actie nodig"), registration, reason=request.message,
        items=request.requested, number=number, opened_on=local_date(request.opened_at),
    )


# The mailbox of each team that owns steps.
TEAM_MAILBOXES = {Team.ASR.value: "ASR_INTAKE_MAILBOX", Team.KEYLANE.value: "KEYLANE_MAILBOX"}


def queue_request_answered(registration: Registration, request: ProcessorRequest) -> Optional[OutboxMessage]:
    """To the mailbox of the team that owns the step: the processor answered its
    request. The answer itself (comment, attachment) is read in the app."""
    return _queue_to_team(
        _owner_mailbox(registration), "request_answered", _("Antwoord van de salarisverwerker"), registration,
        answer=ANSWER_LABELS.get(request.answer or "", request.answer), has_comment=bool(request.answer_comment),
        has_attachment=request.attachment is not None, items=[item.label for item in request.requested],
    )


def queue_withdrawn_by_processor(registration: Registration, reason: str) -> Optional[OutboxMessage]:
    """To the mailbox of the team that owns the step: the processor withdrew the registration."""
    return _queue_to_team(
        _owner_mailbox(registration), "withdrawn_by_processor", _("Ingetrokken door de salarisverwerker"),
        registration, reason=reason,
    )


def _owner_mailbox(registration: Registration) -> str:
    """The setting of the mailbox of the team that owns the step (a.s.r.'s once live)."""
    return TEAM_MAILBOXES[owner_of(registration.step) or Team.ASR.value]


def _submission_summary(registration: Registration) -> list[tuple[str, str]]:
    """What the processor submitted, as (label, value) rows for the confirmation."""
    return [
        (_("Salarisverwerker"), registration.processor_name),
        (_("E-mailadres salarisverwerker"), registration.processor_email),
        (_("Werkgever"), registration.employer_name),
        (_("Raamwerkcontractnummer"), registration.contract_number),
        (_("Loonheffingennummer"), registration.payroll_tax_number),
        (_("Werkgever ID (Loket.nl)"), registration.loket_employer_id),
        (_("Verloningsfrequentie"), str(PayFrequency(registration.pay_frequency).label)),
        (_("13e maand"), _("Ja") if registration.thirteenth_month else _("Nee")),
    ]


def _detail_url(registration: Registration) -> str:
    """The staff detail page; needs the id, so the registration is flushed first."""
    if registration.id is None:
        db.session.flush()
    return f"{_base_url()}/registrations/{registration.id}"


def _queue_to_processor(template: str, title: str, registration: Registration, **context: Any) -> OutboxMessage:
    """To the processor, naming who to contact about this step; a reply goes to that team."""
    contact = contact_for(registration)
    return queue_template(
        template, to=registration.processor_email, subject=_subject(title, registration), registration=registration,
        reply_to=contact.reply_to, contact=contact, **context,
    )


def _queue_to_team(
    setting: str, template: str, title: str, registration: Registration, **context: Any
) -> Optional[OutboxMessage]:
    """To a team's mailbox (the `setting`), with a link to the registration's page."""
    recipient = current_app.config.get(setting)
    if not recipient:
        log.warning("%s is not set: no %s e-mail queued", setting, template)
        return None
    return queue_template(
        template, to=recipient, subject=_subject(title, registration), registration=registration,
        detail_url=_detail_url(registration), **context,
    )


def _subject(title: str, registration: Registration) -> str:
    return _("%(title)s: %(employer)s (%(reference)s)", title=title,
             employer=registration.employer_name, reference=registration.reference)


def status_url(token: str) -> str:
    """The processor's status link, on the configured public address (never the
    Host a request named: a forged header must not put another site in a link)."""
    return f"{_base_url()}/status/{token}"


def _base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")
