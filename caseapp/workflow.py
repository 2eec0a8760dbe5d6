"""The process: steps, who owns them, the prerequisites of step 1, and what the
processor is shown. This module is the one place the workflow lives."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator, Optional

from flask_babel import lazy_gettext as _l

from . import mail
from .extensions import db
from .models import Event, Registration, User, utcnow

# Internal steps in board order, with the team that has to act.
STEPS = ("received", "policy", "setup", "realised", "live")
STEP_LABELS = {
    "received": _l("Nieuw"),
    "policy": _l("Polisgegevens"),
    "setup": _l("Inrichting Keylane"),
    "realised": _l("Gerealiseerd"),
    "live": _l("Eerste uitwisseling geweest"),
}
STEP_OWNERS = {
    "received": "asr",
    "policy": "asr",
    "setup": "keylane",
    "realised": "keylane",
    "live": None,
}
TEAM_LABELS = {"asr": _l("a.s.r."), "keylane": _l("Keylane"), "processor": _l("Salarisverwerker")}
OPEN_STEPS = STEPS[:-1]


@dataclass(frozen=True)
class Prerequisite:
    key: str
    group: str  # "user" (the Loket.nl user) or "right" (a right of that user)
    label: Any
    help: Any


# Step 1 of the manual: the Loket.nl user for the link and its six rights. The
# processor confirms each on the intake page; Keylane ticks each in setup.
PREREQUISITES: tuple[Prerequisite, ...] = (
    Prerequisite(
        "standard_user",
        "user",
        _l("Nieuwe standaardgebruiker in Loket.nl"),
        _l(
            "Maak een nieuwe gebruiker van het type standaard aan. Een webservicegebruiker werkt "
            "niet voor deze koppeling."
        ),
    ),
    Prerequisite(
        "dedicated_user",
        "user",
        _l("Alleen voor deze koppeling"),
        _l("De gebruiker wordt alleen voor de salariskoppeling met a.s.r. gebruikt, voor niets anders."),
    ),
    Prerequisite(
        "active_user",
        "user",
        _l("Gebruiker is actief"),
        _l("De gebruiker is actief en niet geblokkeerd."),
    ),
    Prerequisite(
        "employer_access",
        "user",
        _l("Toegang tot de werkgever"),
        _l(
            "De gebruiker heeft toegang tot de werkgever(s), via een team of rechtstreeks bij de "
            "werkgever."
        ),
    ),
    Prerequisite(
        "right_bsn",
        "right",
        _l("Beheren en raadplegen BSN"),
        _l("Nodig om medewerkers bij a.s.r. aan de juiste persoon te koppelen."),
    ),
    Prerequisite(
        "right_rewards",
        "right",
        _l("Raadplegen beloningen"),
        _l("Nodig voor de loongegevens waarop de pensioenpremie is gebaseerd."),
    ),
    Prerequisite(
        "right_employments",
        "right",
        _l("Raadplegen dienstverbanden"),
        _l("Nodig voor begin- en einddatum en de aard van het dienstverband."),
    ),
    Prerequisite(
        "right_hrm",
        "right",
        _l("Raadplegen HRM"),
        _l("Nodig voor de persoonsgegevens van de medewerkers."),
    ),
    Prerequisite(
        "right_payroll_output",
        "right",
        _l("Raadplegen loonoutput beperkt"),
        _l("Nodig voor de uitkomsten van de salarisverwerking."),
    ),
    Prerequisite(
        "right_variable_data",
        "right",
        _l("Raadplegen variabele gegevens"),
        _l("Nodig voor variabele gegevens per periode, zoals uren en toeslagen."),
    ),
)
PREREQUISITE_KEYS = tuple(p.key for p in PREREQUISITES)


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
    """
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


@dataclass(frozen=True)
class ProcessorStep:
    number: int
    title: Any
    state: str  # "done", "current" or "todo"
    text: Any
    actor: Any


def processor_steps(registration: Registration) -> list[ProcessorStep]:
    """Map the internal step onto the four steps of the manual, in plain Dutch."""
    step = registration.step
    handled = step in ("received", "policy")
    in_setup = step == "setup"
    confirmed = step in ("realised", "live")

    if handled:
        step3_text = _l(
            "a.s.r. controleert uw aanmelding en voegt de polisgegevens toe. Daarna neemt Keylane, "
            "de technische partner van a.s.r., de inrichting over."
        )
        step3_actor = _l("a.s.r.")
    elif in_setup:
        step3_text = _l(
            "Keylane, de technische partner van a.s.r., richt de koppeling in en neemt contact met u "
            "op om de autorisaties in Loket.nl te controleren."
        )
        step3_actor = _l("Keylane")
    else:
        step3_text = _l("a.s.r. heeft de polisgegevens toegevoegd en Keylane heeft de koppeling ingericht.")
        step3_actor = _l("a.s.r. en Keylane")

    if step == "live":
        step4_text = _l("De koppeling is gerealiseerd en de eerste gegevensuitwisseling heeft plaatsgevonden.")
    elif step == "realised":
        step4_text = _l(
            "De koppeling is gerealiseerd. Op de datum van de eerste uitwisseling stuurt Loket.nl de "
            "eerste salarisgegevens naar a.s.r."
        )
    else:
        step4_text = _l(
            "U ontvangt een e-mail zodra de koppeling is gerealiseerd, met de datum waarop de eerste "
            "gegevens worden uitgewisseld."
        )

    return [
        ProcessorStep(
            1,
            _l("Voorwaarden controleren"),
            "done",
            _l("U heeft bevestigd dat de Loket.nl-gebruiker en de zes rechten klaarstaan."),
            _l("U"),
        ),
        ProcessorStep(
            2,
            _l("Werkgever aanmelden bij a.s.r."),
            "done",
            _l("Uw aanmelding is ontvangen."),
            _l("U"),
        ),
        ProcessorStep(
            3,
            _l("Polisgegevens en inrichting"),
            "done" if confirmed else "current",
            step3_text,
            step3_actor,
        ),
        ProcessorStep(
            4,
            _l("Bevestiging en eerste uitwisseling"),
            "done" if step == "live" else ("current" if confirmed else "todo"),
            step4_text,
            _l("Keylane"),
        ),
    ]


# ---------------------------------------------------------------------------
# Transitions. Every change: checks the role and the guard on the server,
# checks the version the user saw, records an event. The caller commits, in
# transaction(): the version column then lets one of two racing changes win.
# ---------------------------------------------------------------------------


class WorkflowError(Exception):
    """A change that is refused; str() is a Dutch message for the user."""

    status_code = 422


class NotAllowed(WorkflowError):
    status_code = 403


class StaleRegistration(WorkflowError):
    """Someone else changed the registration since the user loaded it."""

    status_code = 409


def owner_of(step: str) -> str | None:
    return STEP_OWNERS.get(step)


def team_steps(team: str) -> tuple[str, ...]:
    """The steps `team` ("asr" or "keylane") owns, in board order."""
    return tuple(step for step in STEPS if STEP_OWNERS[step] == team)


def party_for(step: Optional[str], waiting: bool, withdrawn: bool) -> Optional[str]:
    """Who has to act in a state: the team that owns the step, the processor while
    the registration waits on them, nobody while withdrawn or once live."""
    if step is None or withdrawn or step not in OPEN_STEPS:
        return None
    if waiting:
        return "processor"
    return STEP_OWNERS.get(step)


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


def next_step(step: str) -> str | None:
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def previous_step(step: str) -> str | None:
    index = STEPS.index(step)
    return STEPS[index - 1] if index > 0 else None


def acts_for(user: User, team: str | None) -> bool:
    """True when `user` may act for `team` (admins act for every team)."""
    return user.role == "admin" or (team is not None and user.role == team)


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


def _require_owner(registration: Registration, actor: User) -> None:
    team = owner_of(registration.step)
    if not acts_for(actor, team):
        raise NotAllowed(
            str(_l("Deze stap is van %(team)s; u kunt hem niet wijzigen.", team=TEAM_LABELS.get(team or "", "-")))
        )


def today_local():
    """Today's date in the Netherlands (dates like the first exchange are Dutch dates)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/Amsterdam")).date()


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
    _require_owner(registration, actor)
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
    _notify_step(registration, target)
    return target


def move_back(registration: Registration, actor: User, reason: str, expected_version: int | None = None) -> str:
    """Move to the previous step, with a reason (kept in the audit trail)."""
    check_version(registration, expected_version)
    require_open(registration)
    _require_owner(registration, actor)
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
    if not acts_for(actor, "asr"):
        raise NotAllowed(str(_l("Alleen a.s.r. kan een aanmelding intrekken.")))
    require_open(registration)
    if registration.step == "live":
        raise WorkflowError(str(_l("Een koppeling die live is kan niet meer worden ingetrokken.")))
    reason = _reason(reason, _l("Geef een reden voor het intrekken."))
    party, now = ball_party(registration), utcnow()
    registration.withdrawn_reason = reason
    registration.withdrawn_at = now
    _pass_ball(registration, party, now)
    record_event(registration, "withdrawn", actor=actor, at=now, reason=reason, step=registration.step)
    mail.queue_withdrawn(registration, reason)


def reopen(registration: Registration, actor: User, expected_version: int | None = None) -> None:
    check_version(registration, expected_version)
    if not acts_for(actor, "asr"):
        raise NotAllowed(str(_l("Alleen a.s.r. kan een aanmelding heropenen.")))
    if not registration.is_withdrawn:
        raise WorkflowError(str(_l("Deze aanmelding is niet ingetrokken.")))
    party, now = ball_party(registration), utcnow()
    record_event(
        registration, "reopened", actor=actor, at=now, reason=registration.withdrawn_reason, step=registration.step
    )
    registration.withdrawn_reason = None
    registration.withdrawn_at = None
    _pass_ball(registration, party, now)


def set_waiting(registration: Registration, actor: User, reason: str, expected_version: int | None = None) -> None:
    """Flag that the processor has to act; pauses the owning team's clock."""
    check_version(registration, expected_version)
    require_open(registration)
    _require_owner(registration, actor)
    reason = _reason(reason, _l("Geef aan waarop u wacht, bijvoorbeeld ‘rechten ontbreken’."))
    party, now = ball_party(registration), utcnow()
    registration.waiting_reason = reason
    registration.waiting_since = now
    _pass_ball(registration, party, now)
    record_event(registration, "waiting_set", actor=actor, at=now, reason=reason)
    mail.queue_waiting_on_processor(registration, reason)


def clear_waiting(registration: Registration, actor: User, expected_version: int | None = None) -> None:
    check_version(registration, expected_version)
    _require_owner(registration, actor)
    if not registration.is_waiting:
        raise WorkflowError(str(_l("Deze aanmelding wacht niet op de salarisverwerker.")))
    party, now = ball_party(registration), utcnow()
    record_event(registration, "waiting_cleared", actor=actor, at=now, reason=registration.waiting_reason)
    registration.waiting_reason = None
    registration.waiting_since = None
    _pass_ball(registration, party, now)


def assign(registration: Registration, actor: User, assignee: User | None, expected_version: int | None = None) -> None:
    """Take a registration (assignee=actor), hand it to a colleague, or release it (None)."""
    check_version(registration, expected_version)
    if actor.role == "keylane" and owner_of(registration.step) != "keylane":
        raise NotAllowed(str(_l("In deze stap wijst a.s.r. de aanmelding toe.")))
    if assignee is not None and not assignee.active:
        raise WorkflowError(str(_l("Deze collega heeft geen actief account.")))
    if assignee is not None and assignee.id != actor.id and actor.role not in ("asr", "admin") and actor.role != assignee.role:
        raise NotAllowed(str(_l("U kunt alleen aan collega’s van uw eigen team toewijzen.")))
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
    if not acts_for(actor, "keylane"):
        raise NotAllowed(str(_l("Alleen Keylane stelt de datum van de eerste uitwisseling in.")))
    if registration.step not in ("setup", "realised"):
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
    told = registration.first_exchange_date_notified
    if told is not None:
        # The processor was told a date before: tell them the new one.
        mail.queue_first_exchange_date_changed(registration, told)


def _notify_step(registration: Registration, step: str) -> None:
    """Queue the e-mail a step promises, in the same transaction."""
    if step == "setup":
        mail.queue_setup_started(registration)
    elif step == "realised":
        mail.queue_realised(registration)


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
    from sqlalchemy.orm.exc import StaleDataError

    try:
        yield
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleRegistration(str(LOST_RACE)) from None
    except BaseException:
        db.session.rollback()
        raise
