"""The registration's own records: intake data, policies, authorisation checks,
contacts. Each change checks the actor's role, the version the user saw and the
state of the registration, records an event, and touches the registration so
its version moves on. The caller commits (in workflow.transaction()).

Transitions of the process (steps, waiting, withdrawal, assignment, the
first-exchange date) are workflow.py's; `permissions()` only mirrors its rules
to decide which controls the page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import gettext as _

from .. import workflow
from ..extensions import db
from ..intake.service import same_employer_open
from ..models import (
    AuthorisationCheck,
    ContactLogEntry,
    Director,
    Event,
    PolicyRecord,
    Registration,
    User,
    utcnow,
)
from ..workflow import NotAllowed, WorkflowError, acts_for, record_event

# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


def _load(registration_id: int, *options: so.interfaces.LoaderOption) -> Registration | None:
    """The registration as stored now (not as the session last saw it), with `options`."""
    query = sa.select(Registration).where(Registration.id == registration_id).options(*options)
    return db.session.scalar(query.execution_options(populate_existing=True))


def load_detail(registration_id: int) -> Registration | None:
    """The registration with everything the detail page shows, in a fixed
    number of queries (one per collection, however long it is)."""
    return _load(
        registration_id,
        so.joinedload(Registration.assignee),
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
    """Colleagues the actor may assign to: everyone active for a.s.r. and admins,
    their own team for Keylane (workflow.assign enforces the same)."""
    query = sa.select(User).where(User.active.is_(True)).order_by(User.role, User.name)
    if actor.role == "keylane":
        query = query.where(User.role == "keylane")
    return list(db.session.scalars(query))


# ---------------------------------------------------------------------------
# Who may do what on this registration (for showing controls)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Permissions:
    edit_intake: bool
    edit_policies: bool
    tick_checks: bool
    log_contacts: bool
    assign: bool
    set_date: bool
    set_waiting: bool
    withdraw: bool
    advance: bool
    move_back: bool


def permissions(registration: Registration, user: User) -> Permissions:
    role = user.role
    open_ = not registration.is_withdrawn
    owner = workflow.owner_of(registration.step)
    acts_for_owner = owner is not None and acts_for(user, owner)
    return Permissions(
        edit_intake=open_ and role in ("asr", "admin"),
        edit_policies=open_ and role in ("asr", "admin"),
        tick_checks=open_ and role in ("keylane", "admin") and registration.step in CHECK_STEPS,
        log_contacts=role in ("asr", "keylane", "admin"),
        assign=role in ("asr", "admin") or (role == "keylane" and owner == "keylane"),
        set_date=open_ and acts_for(user, "keylane") and registration.step in ("setup", "realised"),
        set_waiting=open_ and acts_for_owner,
        withdraw=role in ("asr", "admin") and registration.step != "live",
        advance=open_ and acts_for_owner and workflow.next_step(registration.step) is not None,
        move_back=open_ and acts_for_owner and workflow.previous_step(registration.step) is not None,
    )


def _require_role(actor: User, roles: tuple[str, ...], message: str) -> None:
    if actor.role not in roles and actor.role != "admin":
        raise NotAllowed(message)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _summary(record: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """A record's fields as an event keeps them (dates as ISO text)."""
    return {name: _iso(getattr(record, name)) for name in names}


# ---------------------------------------------------------------------------
# Intake data
# ---------------------------------------------------------------------------

INTAKE_FIELDS = (
    "processor_name",
    "processor_email",
    "employer_name",
    "contract_number",
    "payroll_tax_number",
    "loket_employer_id",
    "pay_frequency",
    "thirteenth_month",
)


def _director_labels(rows) -> list[str]:
    return [f"{name} ({number})" for name, number in rows]


def update_intake(
    registration: Registration, actor: User, values: dict[str, Any], expected_version: int | None
) -> dict[str, dict[str, Any]]:
    """Apply edited intake data (already checked by the intake validators).

    Returns the changed fields as {field: {"before": ..., "after": ...}}; an
    event with exactly those is recorded. Nothing changed: no event, no new version.
    """
    _require_role(actor, ("asr",), _("Alleen a.s.r. kan de aanmeldgegevens wijzigen."))
    workflow.check_version(registration, expected_version)
    workflow.require_open(registration)

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
    workflow.touch(registration)
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
    _require_role(actor, ("asr",), _("Alleen a.s.r. controleert de aanmeldgegevens."))
    workflow.check_version(registration, expected_version)
    workflow.require_open(registration)
    if registration.intake_checked == checked:
        return False
    registration.intake_checked = checked
    record_event(registration, "intake_checked" if checked else "intake_unchecked", actor=actor)
    workflow.touch(registration)
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
        workflow.check_stored_version(stored, expected_version)
    return policy


def add_policy(
    registration: Registration, actor: User, values: dict[str, Any], expected_version: int | None
) -> PolicyRecord:
    _require_role(actor, ("asr",), _("Alleen a.s.r. legt polisgegevens vast."))
    workflow.check_version(registration, expected_version)
    workflow.require_open(registration)
    policy = PolicyRecord(created_by_id=actor.id, **{name: values[name] for name in POLICY_FIELDS})
    registration.policies.append(policy)
    workflow.touch(registration)
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
    _require_role(actor, ("asr",), _("Alleen a.s.r. wijzigt polisgegevens."))
    workflow.check_version(registration, expected_version)
    workflow.require_open(registration)
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
        workflow.touch(registration)
    return changes


def remove_policy(
    registration: Registration, policy: PolicyRecord, actor: User, expected_version: int | None
) -> None:
    _require_role(actor, ("asr",), _("Alleen a.s.r. verwijdert polisgegevens."))
    workflow.check_version(registration, expected_version)
    workflow.require_open(registration)
    record_event(registration, "policy_removed", actor=actor, policy_id=policy.id, **_summary(policy, POLICY_FIELDS))
    registration.policies.remove(policy)
    workflow.touch(registration)


# ---------------------------------------------------------------------------
# Authorisation checklist
# ---------------------------------------------------------------------------


# Keylane works the checklist while it sets up the link (and may correct it after).
CHECK_STEPS = ("setup", "realised")


def set_check(
    registration: Registration, actor: User, key: str, ticked: bool, expected_version: int | None
) -> bool:
    """Tick or untick one prerequisite of step 1. Returns False when it already was so."""
    if key not in workflow.PREREQUISITE_KEYS:
        raise WorkflowError(_("Onbekende controle."))
    _require_role(actor, ("keylane",), _("Alleen Keylane vinkt de autorisatiecontroles af."))
    workflow.check_version(registration, expected_version)
    workflow.require_open(registration)
    if registration.step not in CHECK_STEPS:
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
    workflow.touch(registration)
    return True


# ---------------------------------------------------------------------------
# Contact log
# ---------------------------------------------------------------------------

CONTACT_FIELDS = ("occurred_at", "channel", "with_whom", "summary", "follow_up_date")


def add_contact(
    registration: Registration, actor: User, values: dict[str, Any], expected_version: int | None
) -> ContactLogEntry:
    _require_role(actor, ("asr", "keylane"), _("U kunt geen contact vastleggen."))
    workflow.check_version(registration, expected_version)
    # Added by id: the contacts are not loaded for a change (the page reloads them).
    entry = ContactLogEntry(registration_id=registration.id, author_id=actor.id, **values)
    db.session.add(entry)
    workflow.touch(registration)
    db.session.flush()  # for the entry's id in the event
    record_event(registration, "contact_logged", actor=actor, contact_id=entry.id, **_summary(entry, CONTACT_FIELDS))
    return entry
