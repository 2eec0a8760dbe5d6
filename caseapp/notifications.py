"""Which e-mail a change of a registration sends, and to whom: the workflow and
the intake say what happened, this module queues the messages that promises
(in the same transaction; caseapp.outbox builds, stores and delivers them)."""

from __future__ import annotations

from typing import Sequence

from .models import ProcessorRequest, Registration
from .outbox import messages


def submitted(registration: Registration, token: str, possible_duplicate_of: Sequence[str]) -> None:
    """A new registration: the processor's confirmation (with the status link), a.s.r.'s triage mail."""
    messages.queue_submission_received(registration, token)
    messages.queue_new_registration(registration, possible_duplicate_of=possible_duplicate_of)


def step_reached(registration: Registration, step: str) -> None:
    """Keylane hears when the set-up is theirs; the processor when the link is realised."""
    if step == "setup":
        messages.queue_setup_started(registration)
    elif step == "realised":
        messages.queue_realised(registration)


def withdrawn(registration: Registration, reason: str, by_processor: bool = False) -> None:
    """The processor hears of every withdrawal; the team that owns the step of the processor's own."""
    messages.queue_withdrawn(registration, reason)
    if by_processor:
        messages.queue_withdrawn_by_processor(registration, reason)


def waiting_on_processor(registration: Registration, request: ProcessorRequest, reopened: bool = False) -> None:
    """The processor hears what the team asks, item by item (again, when an answer was not enough)."""
    messages.queue_waiting_on_processor(registration, request.message, items=request.item_keys, reopened=reopened)


def request_answered(registration: Registration, request: ProcessorRequest) -> None:
    """The team that owns the step hears that the processor answered its request."""
    messages.queue_request_answered(registration, request)


def first_exchange_date_set(registration: Registration) -> None:
    """A changed date is news only when the processor was told a date before."""
    told = registration.first_exchange_date_notified
    if told is not None:
        messages.queue_first_exchange_date_changed(registration, told)
