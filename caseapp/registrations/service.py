"""The registration's own records: intake data, policies, authorisation checks,
contacts. Each change checks the actor's role, the version the user saw and the
state of the registration, records an event, and touches the registration so
its version moves on. The caller commits (in transaction()).

Transitions of the process (steps, waiting, withdrawal, assignment, the
first-exchange date) are workflow.py's; who may make which change is
caseapp.permissions'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from .. import permissions
from ..changes import WorkflowError, check_stored_version, check_version, record_event, require_open, touch
from ..dates import utcnow
from ..extensions import db
from ..intake.service import INTAKE_FIELDS, same_employer_open
from ..models import (
    Attachment,
    AuthorisationCheck,
    ContactLogEntry,
    Director,
    Event,
    PolicyRecord,
    ProcessorRequest,
    Registration,
    User,
)
from ..process import KEYLANE_STEPS, PREREQUISITE_KEYS

# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def _load(registration_id: int, *options: so.interfaces.LoaderOption) -> Registration | None:
    """The registration as stored now (not as the session last saw it), with `options`."""
    query = sa.select(Registration).where(Registration.id == registration_id).options(*options)
    return db.session.execute(query.execution_options(populate_existing=True)).unique().scalar_one_or_none()


def load_detail(registration_id: int) -> Registration | None:
    """The registration with everything the detail page shows, in a fixed
    number of queries (one per collection, however long it is). Its few
    requests to the processor, their items and attachments (without the bytes)
    are joined into the registration's own query."""
    requests = so.joinedload(Registration.requests)
    return _load(
        registration_id,
        so.joinedload(Registration.assignee),
        requests.joinedload(ProcessorRequest.items),
        requests.joinedload(ProcessorRequest.attachment),
        so.selectinload(Registration.directors),
        so.selectinload(Registration.policies).joinedload(PolicyRecord.created_by),
        so.selectinload(Registration.checks).joinedload(AuthorisationCheck.checked_by),
        so.selectinload(Registration.contacts).joinedload(ContactLogEntry.author),
        so.selectinload(Registration.events).joinedload(Event.actor),
    )


def load_for_change(registration_id: int) -> Registration | None:
    """The registration with what the guards and the edits read."""
    return _load(
        registration_id,
        so.selectinload(Registration.directors),
        so.selectinload(Registration.policies),
        so.selectinload(Registration.checks),
    )


@dataclass(frozen=True)
class Match:
    id: int
    reference: str
    employer_name: str
    same_payroll_tax_number: bool
    same_loket_employer_id: bool


def duplicates_of(registration: Registration) -> list[Match]:
    """Other open registrations for the same employer (loonheffingennummer or Werkgever ID)."""
    rows = db.session.execute(
        sa.select(
            Registration.id,
            Registration.reference,
            Registration.employer_name,
            Registration.payroll_tax_number,
            Registration.loket_employer_id,
        )
        .where(
            same_employer_open(registration.payroll_tax_number, registration.loket_employer_id),
            Registration.id != registration.id,
        )
        .order_by(Registration.id)
    ).all()
    return [
        Match(
            row.id,
            row.reference,
            row.employer_name,
            row.payroll_tax_number == registration.payroll_tax_number,
            row.loket_employer_id == registration.loket_employer_id,
        )
        for row in rows
    ]


def assignable_staff(actor: User) -> list[User]:
    """Active colleagues the actor may hand a registration to (permissions.assignable_roles)."""
    query = sa.select(User).where(User.active.is_(True)).order_by(User.role, User.name)
    roles = permissions.assignable_roles(actor)
    if roles is not None:
        query = query.where(User.role.in_(roles))
    return list(db.session.scalars(query))


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _summary(record: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """A record's fields as an event keeps them (dates as ISO text)."""
    return {name: _iso(getattr(record, name)) for name in names}


# ---------------------------------------------------------------------------
# Intake data
# ---------------------------------------------------------------------------

def _director_labels(rows) -> list[str]:
    return [f"{name} ({number})" for name, number in rows]


def update_intake(
    registration: Registration, actor: User, values: dict[str, Any], expected_version: int | None
) -> dict[str, dict[str, Any]]:
    """Apply edited intake data (already checked by the intake validators).

    Returns the changed fields as {field: {"before": ..., "after": ...}}; an
    event with exactly those is recorded. Nothing changed: no event, no new version.
    """
    permissions.require(actor, "edit_intake", registration)
    check_version(registration, expected_version)
    require_open(registration)

    changes: dict[str, dict[str, Any]] = {}
    for name in INTAKE_FIELDS:
        before, after = getattr(registration, name), values[name]
        if before != after:
            changes[name] = {"before": before, "after": after}
            setattr(registration, name, after)

    old_directors = [(d.name, d.personnel_number) for d in registration.directors]
    new_directors = list(values["directors"])
    if old_directors != new_directors:
        changes["directors"] = {"before": _director_labels(old_directors), "after": _director_labels(new_directors)}

    if "contract_number" in changes and registration.contract_prefix_warning != values["contract_prefix_warning"]:
        changes["contract_prefix_warning"] = {
            "before": registration.contract_prefix_warning,
            "after": values["contract_prefix_warning"],
        }
        registration.contract_prefix_warning = values["contract_prefix_warning"]

    if "payroll_tax_number" in changes or "loket_employer_id" in changes:
        # Other registrations only: nothing of this change needs writing yet.
        with db.session.no_autoflush:
            others = duplicates_of(registration)
        if registration.possible_duplicate != bool(others):
            changes["possible_duplicate"] = {"before": registration.possible_duplicate, "after": bool(others)}
            registration.possible_duplicate = bool(others)

    if not changes:
        return changes
    record_event(registration, "intake_edited", actor=actor, changes=changes)
    touch(registration)
    if "directors" in changes:
        # Replace the rows: deleting first keeps the unique personnel numbers unique
        # mid-flush. The registration's UPDATE (version check) leads this flush, so
        # a change that lost the race stops before it touches a director.
        registration.directors.clear()
        db.session.flush()
        registration.directors.extend(
            Director(position=index, name=name, personnel_number=number)
            for index, (name, number) in enumerate(new_directors)
        )
    return changes


def set_intake_checked(registration: Registration, actor: User, checked: bool, expected_version: int | None) -> bool:
    """Mark the intake data as checked by a.s.r. (a guard of policy → setup), or undo that."""
    permissions.require(actor, "check_intake", registration)
    check_version(registration, expected_version)
    require_open(registration)
    if registration.intake_checked == checked:
        return False
    registration.intake_checked = checked
    record_event(registration, "intake_checked" if checked else "intake_unchecked", actor=actor)
    touch(registration)
    return True


# ---------------------------------------------------------------------------
# Policy records
# ---------------------------------------------------------------------------

POLICY_FIELDS = ("policy_number", "scheme", "start_date", "note")


def find_policy(registration: Registration, policy_id: int) -> PolicyRecord | None:
    """A policy of this registration only (another registration's policy id is not found)."""
    return next((p for p in registration.policies if p.id == policy_id), None)


def find_policy_for_change(
    registration: Registration, policy_id: int, expected_version: int | None
) -> PolicyRecord | None:
    """The policy an edit or a removal is about; None when there is no such policy.

    A policy that is gone while the registration changed since the user's form
    was made was removed by a colleague: that is a conflict (StaleRegistration,
    409 with the current policies), not a page that never existed."""
    policy = find_policy(registration, policy_id)
    if policy is None:
        # Compare with the version as stored now, not as loaded: the registration
        # row may have been read just before the colleague's removal was committed
        # and its policies just after it.
        stored = db.session.scalar(sa.select(Registration.version).where(Registration.id == registration.id))
        check_stored_version(stored, expected_version)
    return policy


def add_policy(
    registration: Registration, actor: User, values: dict[str, Any], expected_version: int | None
) -> PolicyRecord:
    permissions.require(actor, "add_policy", registration)
    check_version(registration, expected_version)
    require_open(registration)
    policy = PolicyRecord(created_by_id=actor.id, **{name: values[name] for name in POLICY_FIELDS})
    registration.policies.append(policy)
    touch(registration)
    db.session.flush()  # for the policy's id in the event
    record_event(registration, "policy_added", actor=actor, policy_id=policy.id, **_summary(policy, POLICY_FIELDS))
    return policy


def update_policy(
    registration: Registration,
    policy: PolicyRecord,
    actor: User,
    values: dict[str, Any],
    expected_version: int | None,
) -> dict[str, dict[str, Any]]:
    permissions.require(actor, "edit_policy", registration)
    check_version(registration, expected_version)
    require_open(registration)
    changes = {}
    for name in POLICY_FIELDS:
        before, after = getattr(policy, name), values[name]
        if before != after:
            changes[name] = {"before": _iso(before), "after": _iso(after)}
            setattr(policy, name, after)
    if changes:
        record_event(
            registration,
            "policy_edited",
            actor=actor,
            policy_id=policy.id,
            policy_number=policy.policy_number,
            changes=changes,
        )
        touch(registration)
    return changes


def remove_policy(
    registration: Registration, policy: PolicyRecord, actor: User, expected_version: int | None
) -> None:
    permissions.require(actor, "remove_policy", registration)
    check_version(registration, expected_version)
    require_open(registration)
    record_event(registration, "policy_removed", actor=actor, policy_id=policy.id, **_summary(policy, POLICY_FIELDS))
    registration.policies.remove(policy)
    touch(registration)


# ---------------------------------------------------------------------------
# Authorisation checklist
# ---------------------------------------------------------------------------


def set_check(
    registration: Registration, actor: User, key: str, ticked: bool, expected_version: int | None
) -> bool:
    """Tick or untick one prerequisite of step 1. Returns False when it already was so."""
    if key not in PREREQUISITE_KEYS:
        raise WorkflowError(_("Onbekende controle."))
    permissions.require(actor, "tick_check", registration)
    check_version(registration, expected_version)
    require_open(registration)
    if registration.step not in KEYLANE_STEPS:
        raise WorkflowError(_("De autorisatiecontroles worden afgevinkt tijdens de inrichting door Keylane."))
    existing = next((c for c in registration.checks if c.key == key), None)
    if ticked == (existing is not None):
        return False
    if ticked:
        registration.checks.append(AuthorisationCheck(key=key, checked_by_id=actor.id, checked_at=utcnow()))
        record_event(registration, "check_ticked", actor=actor, key=key)
    else:
        registration.checks.remove(existing)
        record_event(registration, "check_unticked", actor=actor, key=key)
    touch(registration)
    return True


# ---------------------------------------------------------------------------
# Contact log
# ---------------------------------------------------------------------------

CONTACT_FIELDS = ("occurred_at", "channel", "with_whom", "summary", "follow_up_date")


def add_contact(
    registration: Registration, actor: User, values: dict[str, Any], expected_version: int | None
) -> ContactLogEntry:
    permissions.require(actor, "log_contact", registration)
    check_version(registration, expected_version)
    # Added by id: the contacts are not loaded for a change (the page reloads them).
    entry = ContactLogEntry(registration_id=registration.id, author_id=actor.id, **values)
    db.session.add(entry)
    touch(registration)
    db.session.flush()  # for the entry's id in the event
    record_event(registration, "contact_logged", actor=actor, contact_id=entry.id, **_summary(entry, CONTACT_FIELDS))
    return entry


# ---------------------------------------------------------------------------
# Attachments of the processor's answers
# ---------------------------------------------------------------------------


def find_attachment(registration_id: int, attachment_id: int) -> Attachment | None:
    """An attachment with its bytes, only when it belongs to an answer of this registration."""
    return db.session.scalar(
        sa.select(Attachment)
        .join(ProcessorRequest, ProcessorRequest.id == Attachment.request_id)
        .where(Attachment.id == attachment_id, ProcessorRequest.registration_id == registration_id)
        .options(so.undefer(Attachment.data))
    )
