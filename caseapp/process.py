"""The vocabulary of the process: the steps and who owns them, the teams and
roles, the prerequisites of step 1, and the other closed lists (pay frequency,
contact channel). The ground floor: it imports nothing of ours, and everything
else reads these words from here (models build their CHECK constraints from
the enums, templates get this module as `process`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Optional

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l


class Labelled(StrEnum):
    """A closed list of stored values, each with a translated label:
    `NAME = "value", _l("label")`."""

    def __new__(cls, value: str, label: Any) -> "Labelled":
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)

    @classmethod
    def labels(cls) -> dict[str, Any]:
        """{value: label}, in list order."""
        return {member.value: member.label for member in cls}

    @classmethod
    def check(cls, column: str) -> str:
        """The SQL of a CHECK constraint that allows exactly these values in `column`."""
        return check_in(column, cls.values())


def check_in(column: str, values: tuple[str, ...]) -> str:
    """The SQL of a CHECK constraint that allows exactly `values` in `column`."""
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


# ---------------------------------------------------------------------------
# Teams and roles
# ---------------------------------------------------------------------------


class Team(Labelled):
    """The parties that can have the ball: the two teams and the processor."""

    ASR = "asr", _l("a.s.r.")
    KEYLANE = "keylane", _l("Keylane")
    PROCESSOR = "processor", _l("Salarisverwerker")


class Role(Labelled):
    """Staff roles: the two teams, and administrators (who act for every team)."""

    ASR = Team.ASR.value, Team.ASR.label
    KEYLANE = Team.KEYLANE.value, Team.KEYLANE.label
    ADMIN = "admin", _l("beheerder")


ROLES = Role.values()
TEAMS = (Team.ASR.value, Team.KEYLANE.value)  # the teams that own steps
TEAM_LABELS = Team.labels()
ROLE_LABELS = Role.labels()


# ---------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------


class Step(Labelled):
    """The internal steps, in board order, with the team that has to act in each
    (None: nobody, the end)."""

    def __new__(cls, value: str, label: Any, owner: Optional[str]) -> "Step":
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.owner = owner
        return member

    RECEIVED = "received", _l("Nieuw"), Team.ASR.value
    POLICY = "policy", _l("Polisgegevens"), Team.ASR.value
    SETUP = "setup", _l("Inrichting Keylane"), Team.KEYLANE.value
    REALISED = "realised", _l("Gerealiseerd"), Team.KEYLANE.value
    LIVE = "live", _l("Eerste uitwisseling geweest"), None


STEPS = Step.values()
STEP_LABELS = Step.labels()
STEP_OWNERS: dict[str, Optional[str]] = {step.value: step.owner for step in Step}
TERMINAL_STEPS = (Step.LIVE.value,)
OPEN_STEPS = tuple(step for step in STEPS if step not in TERMINAL_STEPS)
# The link is realised: the first-exchange date is known to the processor.
REALISED_STEPS = (Step.REALISED.value, Step.LIVE.value)
# Keylane works the authorisation checklist, and sets the first-exchange date,
# while it sets up the link (and may correct both after).
KEYLANE_STEPS = (Step.SETUP.value, Step.REALISED.value)


def owner_of(step: Optional[str]) -> Optional[str]:
    return STEP_OWNERS.get(step or "")


def team_steps(team: str) -> tuple[str, ...]:
    """The steps `team` ("asr" or "keylane") owns, in board order."""
    return tuple(step for step in STEPS if STEP_OWNERS[step] == team)


def next_step(step: str) -> Optional[str]:
    index = STEPS.index(step)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def previous_step(step: str) -> Optional[str]:
    index = STEPS.index(step)
    return STEPS[index - 1] if index > 0 else None


def party_for(step: Optional[str], waiting: bool, withdrawn: bool) -> Optional[str]:
    """Who has to act in a state: the team that owns the step, the processor while
    the registration waits on them, nobody while withdrawn or once live."""
    if step is None or withdrawn or step not in OPEN_STEPS:
        return None
    if waiting:
        return Team.PROCESSOR.value
    return STEP_OWNERS.get(step)


def is_open(step: str, withdrawn: bool) -> bool:
    """Still in the process: not withdrawn and not at the end."""
    return not withdrawn and step in OPEN_STEPS


def open_condition(step: Any, withdrawn_at: Any) -> sa.ColumnElement[bool]:
    """The one SQL condition for an open registration, over its step and
    withdrawn_at columns (Registration.open_condition() passes its own)."""
    return sa.and_(withdrawn_at.is_(None), step.in_(OPEN_STEPS))


# ---------------------------------------------------------------------------
# Intake choices and the contact log
# ---------------------------------------------------------------------------


class PayFrequency(Labelled):
    MONTHLY = "monthly", _l("Per maand")
    FOUR_WEEKLY = "four_weekly", _l("Per vier weken")


class ContactChannel(Labelled):
    """Shown in Dutch as the brief of the contact log asks: telefoon, e-mail, Teams/overleg, anders."""

    PHONE = "phone", _l("telefoon")
    EMAIL = "email", _l("e-mail")
    MEETING = "meeting", _l("Teams/overleg")
    OTHER = "other", _l("anders")


PAY_FREQUENCY_LABELS = PayFrequency.labels()
CHANNEL_LABELS = ContactChannel.labels()


# ---------------------------------------------------------------------------
# Step 1 of the manual: the Loket.nl user for the link and its six rights. The
# processor confirms each on the intake page; Keylane ticks each in setup.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Prerequisite:
    key: str
    group: str  # "user" (the Loket.nl user) or "right" (a right of that user)
    label: Any
    help: Any
    # When the team asks the processor to fix it (a request item): the standard
    # text the team's message starts from, and where in Loket.nl to fix it.
    request_text: Any = None
    instruction: Any = None


def _right(key: str, label: Any, help: Any) -> Prerequisite:
    """One of the six rights: the same request text and instruction for each."""
    return Prerequisite(
        key, "right", label, help,
        request_text=_l("Het recht ‘%(right)s’ ontbreekt bij de Loket.nl-gebruiker voor de koppeling.", right=label),
        instruction=_l(
            "Open in Loket.nl de gebruiker voor de koppeling (Beheer → Gebruikers, klik op de gebruiker) en "
            "bekijk zijn rechten. Staat ‘%(right)s’ er niet bij en kunt u het niet zelf toekennen, vraag het "
            "dan aan bij de helpdesk van Loket.nl.", right=label,
        ),
    )


PREREQUISITES: tuple[Prerequisite, ...] = (
    Prerequisite(
        "standard_user",
        "user",
        _l("Nieuwe standaardgebruiker in Loket.nl"),
        _l(
            "Maak een nieuwe gebruiker van het type standaard aan. Een webservicegebruiker werkt "
            "niet voor deze koppeling."
        ),
        request_text=_l("De gebruiker voor de koppeling is een webservicegebruiker; de koppeling werkt alleen met "
                        "een standaardgebruiker."),
        instruction=_l(
            "Maak in Loket.nl onder Beheer → Gebruikers een nieuwe gebruiker aan en kies als soort gebruiker "
            "‘standaard’, niet ‘webservicegebruiker’. Een bestaande gebruiker wisselt niet van soort."
        ),
    ),
    Prerequisite(
        "dedicated_user",
        "user",
        _l("Alleen voor deze koppeling"),
        _l("De gebruiker wordt alleen voor de salariskoppeling met a.s.r. gebruikt, voor niets anders."),
        request_text=_l("De gebruiker voor de koppeling wordt ook voor ander werk gebruikt; de koppeling heeft een "
                        "eigen gebruiker nodig."),
        instruction=_l(
            "Maak onder Beheer → Gebruikers een aparte standaardgebruiker aan die alleen voor deze koppeling "
            "wordt gebruikt. Log met die gebruiker niet in voor ander werk."
        ),
    ),
    Prerequisite(
        "active_user",
        "user",
        _l("Gebruiker is actief"),
        _l("De gebruiker is actief en niet geblokkeerd."),
        request_text=_l("De gebruiker voor de koppeling is geblokkeerd of niet actief."),
        instruction=_l(
            "Zoek de gebruiker op onder Beheer → Gebruikers en controleer of hij actief is. Is hij geblokkeerd, "
            "deblokkeer hem dan, of vraag dat aan de beheerder van uw Loket.nl-omgeving."
        ),
    ),
    Prerequisite(
        "employer_access",
        "user",
        _l("Toegang tot de werkgever"),
        _l(
            "De gebruiker heeft toegang tot de werkgever(s), via een team of rechtstreeks bij de "
            "werkgever."
        ),
        request_text=_l("De gebruiker voor de koppeling heeft nog geen toegang tot de werkgever."),
        instruction=_l(
            "Open de gebruiker onder Beheer → Gebruikers en geef hem toegang tot de werkgever: voeg hem toe aan "
            "een team waarin de werkgever zit, of geef hem rechtstreeks toegang bij de werkgever."
        ),
    ),
    _right(
        "right_bsn",
        _l("Beheren en raadplegen BSN"),
        _l("Nodig om medewerkers bij a.s.r. aan de juiste persoon te koppelen."),
    ),
    _right(
        "right_rewards",
        _l("Raadplegen beloningen"),
        _l("Nodig voor de loongegevens waarop de pensioenpremie is gebaseerd."),
    ),
    _right(
        "right_employments",
        _l("Raadplegen dienstverbanden"),
        _l("Nodig voor begin- en einddatum en de aard van het dienstverband."),
    ),
    _right(
        "right_hrm",
        _l("Raadplegen HRM"),
        _l("Nodig voor de persoonsgegevens van de medewerkers."),
    ),
    _right(
        "right_payroll_output",
        _l("Raadplegen loonoutput beperkt"),
        _l("Nodig voor de uitkomsten van de salarisverwerking."),
    ),
    _right(
        "right_variable_data",
        _l("Raadplegen variabele gegevens"),
        _l("Nodig voor variabele gegevens per periode, zoals uren en toeslagen."),
    ),
)
PREREQUISITE_KEYS = tuple(p.key for p in PREREQUISITES)
PREREQUISITE_LABELS = {p.key: p.label for p in PREREQUISITES}


def prerequisite_groups() -> list[tuple[str, Any, list[Prerequisite]]]:
    """The prerequisites as the pages group them: the user, then its six rights."""
    return [
        ("user", _l("De Loket.nl-gebruiker"), [p for p in PREREQUISITES if p.group == "user"]),
        ("right", _l("De zes rechten"), [p for p in PREREQUISITES if p.group == "right"]),
    ]


# ---------------------------------------------------------------------------
# Requests to the processor: while a registration waits on the processor, the
# team asks for one or more items (a prerequisite of step 1 that is not right,
# or something else), and the processor answers on the status page.
# ---------------------------------------------------------------------------

# Missing rights are requested from the Loket.nl helpdesk, which explains them in this article.
LOKET_HELPDESK_EMAIL = "api@loket.nl"
LOKET_HELPDESK_ARTICLE = _l("Handleiding REST API koppeling")
LOKET_HELPDESK_ARTICLE_URL = "https://helpdesk.loket.nl/hc/nl/articles/360010294760"
# What the helpdesk needs in that e-mail.
LOKET_HELPDESK_NEEDS = _l(
    "Vermeld in uw e-mail de naam van de gebruiker voor de koppeling, de naam en de Werkgever ID van de "
    "werkgever, welk recht ontbreekt en dat het om de salariskoppeling met a.s.r. gaat."
)


@dataclass(frozen=True)
class RequestItem:
    """What the team can ask the processor to arrange: `key` is stored with the request."""

    key: str
    label: Any
    request_text: Any  # the standard text for the team's message
    instruction: Any  # what the processor does in Loket.nl (None: the message says it all)
    helpdesk: bool  # a right: the Loket.nl helpdesk can grant it


OTHER_ITEM = "other"
REQUEST_ITEMS: tuple[RequestItem, ...] = (
    *(RequestItem(p.key, p.label, p.request_text, p.instruction, p.group == "right") for p in PREREQUISITES),
    RequestItem(OTHER_ITEM, _l("Iets anders"), None, None, False),
)
REQUEST_ITEM_KEYS = tuple(item.key for item in REQUEST_ITEMS)
_REQUEST_ITEMS_BY_KEY = {item.key: item for item in REQUEST_ITEMS}
# The message a request starts from before any item is ticked (and without JavaScript).
REQUEST_MESSAGE_DEFAULT = _l(
    "Wilt u de punten hieronder in Loket.nl regelen? Op uw statuspagina staat per punt hoe dat gaat. "
    "Laat het ons daar weten als het geregeld is, of als u een vraag heeft."
)


def request_item(key: str) -> RequestItem:
    """The item stored as `key`; a key no longer in the list reads as itself."""
    return _REQUEST_ITEMS_BY_KEY.get(key) or RequestItem(key, key, None, None, False)


def request_item_groups() -> list[tuple[str, Any, list[RequestItem]]]:
    """The items as the request form groups them: the user, its rights, something else."""
    groups = [(group, label, [request_item(p.key) for p in members]) for group, label, members in prerequisite_groups()]
    return [*groups, ("other", _l("Overig"), [request_item(OTHER_ITEM)])]


class Answer(Labelled):
    """The processor's answer to a request."""

    DONE = "done", _l("Geregeld")
    QUESTION = "question", _l("Ik heb een vraag")


ANSWER_LABELS = Answer.labels()


# What happens after a submission, as the confirmation page and mail tell it.
WHAT_HAPPENS_NEXT_TITLE = _l("Wat gebeurt er nu?")
WHAT_HAPPENS_NEXT = (
    _l("a.s.r. controleert uw aanmelding en voegt de polisgegevens van de werkgever toe."),
    _l(
        "Keylane, de technische partner van a.s.r., richt de koppeling in. Keylane neemt contact met u op om de "
        "autorisaties in Loket.nl samen te controleren."
    ),
    _l(
        "Zodra de koppeling klaar is, ontvangt u een e-mail met de datum waarop de eerste salarisgegevens worden "
        "uitgewisseld."
    ),
)
