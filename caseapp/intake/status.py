"""The processor's status page: the internal step mapped onto the four steps of
the manual, in plain Dutch (what is done, what happens next, who acts)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from flask_babel import lazy_gettext as _l

from ..models import Registration
from ..process import REALISED_STEPS, Step, Team, team_steps


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
    handled = step in team_steps(Team.ASR)
    in_setup = step == Step.SETUP
    confirmed = step in REALISED_STEPS

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

    steps = [
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
    if registration.is_waiting and not registration.is_withdrawn:
        # The team asked the processor something: until the answer, the ball is theirs.
        steps = [replace(each, actor=_l("U: wij wachten op uw antwoord")) if each.state == "current" else each
                 for each in steps]
    return steps
