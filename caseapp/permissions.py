"""Who may do what: one table of rules, asked by everyone who decides.

A rule names the roles that may take an action (administrators may take every
action), whether the team that owns the registration's step may too, and the
state the registration must be in for the action to be offered. Two questions:

- `allowed(user, action, registration)`: the role part only. The access
  decorators (caseapp.auth.access.requires) and the workflow and service guards
  (`require`, which raises NotAllowed, 403, with the rule's Dutch refusal) ask
  this; a state that does not fit is the workflow's to refuse (422), with its
  own message.
- `may(user, action, registration)`: the role part and the state. Templates ask
  it (as `may(...)`, or `can.<action>` on the detail page) to decide which
  controls to show, and so does the board for its move buttons.

`registration` may be anything with `step` and `is_withdrawn` (a board card
will do); actions about the app rather than a registration take none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Protocol

from flask_babel import lazy_gettext as _l

from .changes import NotAllowed
from .process import (
    KEYLANE_STEPS,
    ROLES,
    TEAM_LABELS,
    TEAMS,
    is_open,
    next_step,
    owner_of,
    previous_step,
)

ADMIN = "admin"


class Subject(Protocol):
    """What the rules read of a registration."""

    step: str

    @property
    def is_withdrawn(self) -> bool: ...

    @property
    def is_waiting(self) -> bool: ...


class Actor(Protocol):
    id: int
    role: str


def _open(subject: Subject) -> bool:
    """Not withdrawn (a live registration's records can still be corrected)."""
    return not subject.is_withdrawn


def _in_process(subject: Subject) -> bool:
    """Not withdrawn and not live: a step with a team that owns it."""
    return is_open(subject.step, subject.is_withdrawn)


@dataclass(frozen=True)
class Rule:
    roles: tuple[str, ...]
    refusal: Any = _l("U heeft geen toegang tot deze handeling.")
    # The team that owns the registration's step may take the action too.
    owner: bool = False
    # The state in which the action is offered (None: always).
    when: Optional[Callable[[Subject], bool]] = None


OWNER_REFUSAL = _l("Deze stap is van %(team)s; u kunt hem niet wijzigen.")

RULES: dict[str, Rule] = {
    # The app
    "view": Rule(ROLES),
    # What a processor attached to an answer: every staff member, nobody else.
    "download_attachment": Rule(ROLES),
    "manage_outbox": Rule(()),
    # Intake data and policy records: a.s.r.
    "edit_intake": Rule(("asr",), _l("Alleen a.s.r. kan de aanmeldgegevens wijzigen."), when=_open),
    "check_intake": Rule(("asr",), _l("Alleen a.s.r. controleert de aanmeldgegevens."), when=_open),
    "add_policy": Rule(("asr",), _l("Alleen a.s.r. legt polisgegevens vast."), when=_open),
    "edit_policy": Rule(("asr",), _l("Alleen a.s.r. wijzigt polisgegevens."), when=_open),
    "remove_policy": Rule(("asr",), _l("Alleen a.s.r. verwijdert polisgegevens."), when=_open),
    # The set-up: Keylane
    "tick_check": Rule(
        ("keylane",), _l("Alleen Keylane vinkt de autorisatiecontroles af."),
        when=lambda r: _open(r) and r.step in KEYLANE_STEPS,
    ),
    "set_first_exchange_date": Rule(
        ("keylane",), _l("Alleen Keylane stelt de datum van de eerste uitwisseling in."),
        when=lambda r: _open(r) and r.step in KEYLANE_STEPS,
    ),
    # Both teams
    "log_contact": Rule(TEAMS, _l("U kunt geen contact vastleggen.")),
    # a.s.r. assigns in every step, Keylane in its own.
    "assign": Rule(("asr",), _l("In deze stap wijst a.s.r. de aanmelding toe."), owner=True),
    # The team that owns the step
    "set_waiting": Rule((), OWNER_REFUSAL, owner=True, when=_in_process),
    "clear_waiting": Rule((), OWNER_REFUSAL, owner=True),
    # The answer was not enough: ask the same again (workflow.reopen_request needs an answered request).
    "reopen_request": Rule((), OWNER_REFUSAL, owner=True, when=lambda r: _in_process(r) and not r.is_waiting),
    "advance": Rule((), OWNER_REFUSAL, owner=True, when=lambda r: _in_process(r) and next_step(r.step) is not None),
    "move_back": Rule((), OWNER_REFUSAL, owner=True, when=lambda r: _in_process(r) and previous_step(r.step) is not None),
    # Withdrawal: a.s.r.
    "withdraw": Rule(("asr",), _l("Alleen a.s.r. kan een aanmelding intrekken."), when=lambda r: r.step != "live"),
    "reopen": Rule(("asr",), _l("Alleen a.s.r. kan een aanmelding heropenen."), when=lambda r: r.is_withdrawn),
}


def acts_for(user: Actor, team: Optional[str]) -> bool:
    """True when `user` may act for `team` (admins act for every team)."""
    return user.role == ADMIN or (team is not None and user.role == team)


def roles_for(action: str) -> tuple[str, ...]:
    """The roles that may take `action` on some registration (for the access decorators)."""
    rule = RULES[action]
    roles = set(rule.roles) | ({ADMIN} | (set(TEAMS) if rule.owner else set()))
    return tuple(role for role in ROLES if role in roles)


def allowed(user: Any, action: str, registration: Optional[Subject] = None) -> bool:
    """The role part of `action`'s rule (see the module's docstring)."""
    if not getattr(user, "is_authenticated", True) or getattr(user, "role", None) is None:
        return False
    rule = RULES[action]
    if user.role == ADMIN or user.role in rule.roles:
        return True
    if rule.owner:
        if registration is None:  # on some registration: a team owns some step
            return user.role in TEAMS
        return acts_for(user, owner_of(registration.step))
    return False


def may(user: Any, action: str, registration: Optional[Subject] = None) -> bool:
    """The role part and the state: is the control for `action` offered?"""
    rule = RULES[action]
    if not allowed(user, action, registration):
        return False
    return rule.when is None or registration is None or rule.when(registration)


def require(user: Actor, action: str, registration: Optional[Subject] = None) -> None:
    """Raise NotAllowed (403) with the rule's Dutch refusal unless `allowed(...)`."""
    if allowed(user, action, registration):
        return
    rule = RULES[action]
    team = owner_of(registration.step) if registration is not None else None
    raise NotAllowed(str(rule.refusal) % {"team": TEAM_LABELS.get(team or "", "-")})


def acts_in_step(user: Actor, step: str) -> bool:
    """May `user` move registrations in `step` (the board's columns)?"""
    return acts_for(user, owner_of(step))


def assignable_roles(actor: Actor) -> Optional[tuple[str, ...]]:
    """Whose work the actor may hand a registration to: anyone (None) for a.s.r. and
    administrators, their own team otherwise."""
    return None if actor.role in ("asr", ADMIN) else (actor.role,)


def require_assignable(actor: Actor, assignee: Actor) -> None:
    roles = assignable_roles(actor)
    if assignee.id != actor.id and roles is not None and assignee.role not in roles:
        raise NotAllowed(str(_l("U kunt alleen aan collega’s van uw eigen team toewijzen.")))


class Allowed:
    """`can.<action>` in a template: may(user, action, registration), asked on use."""

    def __init__(self, user: Any, registration: Optional[Subject] = None):
        self._user = user
        self._registration = registration

    def __getattr__(self, action: str) -> bool:
        if action not in RULES:
            raise AttributeError(action)
        return may(self._user, action, self._registration)


def init_app(app) -> None:
    """Templates ask `may("action", registration)` for the signed-in user."""
    from flask_login import current_user

    @app.context_processor
    def permission_helpers():
        return {"may": lambda action, registration=None: may(current_user, action, registration)}
