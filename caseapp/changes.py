"""One change of a registration, whoever makes it (the workflow, a service, the
intake): how it is refused, how a stale form is caught, how it is recorded in
the audit trail, and the transaction that commits it or rolls it all back."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from .dates import utcnow
from .extensions import db
from .models import Event, Registration, User


class WorkflowError(Exception):
    """A change that is refused; str() is a Dutch message for the user."""

    status_code = 422


class NotAllowed(WorkflowError):
    status_code = 403


class StaleRegistration(WorkflowError):
    """Someone else changed the registration since the user loaded it."""

    status_code = 409


def check_version(registration: Registration, expected_version: int | None) -> None:
    check_stored_version(registration.version, expected_version)


def check_stored_version(stored: int | None, expected_version: int | None) -> None:
    """Raise StaleRegistration when the version the user saw is not the stored one."""
    if expected_version is not None and int(expected_version) != stored:
        raise StaleRegistration(
            str(
                _l(
                    "Iemand anders heeft deze aanmelding intussen gewijzigd. Bekijk de actuele "
                    "gegevens en probeer het opnieuw."
                )
            )
        )


def require_open(registration: Registration) -> None:
    if registration.is_withdrawn:
        raise WorkflowError(str(_l("Deze aanmelding is ingetrokken. Heropen haar eerst.")))


def record_event(
    registration: Registration,
    kind: str,
    actor: Optional[User] = None,
    actor_label: Optional[str] = None,
    at: Optional[datetime] = None,
    **data: Any,
) -> Event:
    """Append an event to the audit trail (added to the session, not committed).

    `at` (naive UTC) is the moment of the change it records, when the change
    stamped the registration with it too; otherwise the time of the insert.

    A change by a staff member is the team acting: a processor's answer they
    had not acted on yet (registration.answer_received_at) is no longer news.
    """
    if actor is not None and registration.answer_received_at is not None:
        registration.answer_received_at = None
    event = Event(
        registration=registration,
        kind=kind,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label,
        data=data,
    )
    if at is not None:
        event.created_at = at
    db.session.add(event)
    return event


def touch(registration: Registration) -> None:
    """Mark a change to a child row (policy, check, contact) as a change of the
    registration, so its version moves on and concurrent edits conflict.

    Call it before anything is flushed: the registration's UPDATE (with its
    version check) then comes first in the flush, so a change that lost the race
    stops there, before it writes a child row."""
    registration.updated_at = utcnow()


LOST_RACE = _l("Iemand anders heeft deze aanmelding op hetzelfde moment gewijzigd. Probeer het opnieuw.")


@contextmanager
def transaction() -> Iterator[None]:
    """One change of a registration: commit it at the end, or roll it all back.

    Every UPDATE of a registration carries `WHERE version = <read version>`
    (version_id_col), so of two processes changing the same registration at
    once exactly one wins, even across hosts. The loser finds out when its
    UPDATE matches no row: at the commit, or at any flush before it (a query
    in the middle of a change flushes what is pending). Wherever that happens
    it becomes StaleRegistration (409), never a server error.
    """
    try:
        yield
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleRegistration(str(LOST_RACE)) from None
    except BaseException:
        db.session.rollback()
        raise
