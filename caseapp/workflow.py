"""The process: steps, who owns them, the prerequisites of step 1, and what the
processor is shown. This module is the one place the workflow lives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from flask_babel import lazy_gettext as _l

from .extensions import db
from .models import Event, Registration, User

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
    **data: Any,
) -> Event:
    """Append an event to the audit trail (added to the session, not committed)."""
    event = Event(
        registration=registration,
        kind=kind,
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label,
        data=data,
    )
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
