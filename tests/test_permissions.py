"""Every rule of caseapp.permissions, asked once for every role: who may act, and
in which state the control is offered. The expectations are written out by hand
from DESIGN.md's table of who does what, not derived from the rules."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from caseapp import permissions
from caseapp.changes import NotAllowed
from caseapp.process import ROLES

ALL = {"asr", "keylane", "admin"}
ASR = {"asr", "admin"}
KEYLANE = {"keylane", "admin"}


@dataclass
class Person:
    role: str
    id: int = 1


@dataclass
class Reg:
    step: str
    is_withdrawn: bool = False
    is_waiting: bool = False


# action -> (roles allowed on an a.s.r. step (`policy`), roles allowed on a Keylane step (`setup`))
WHO = {
    "view": (ALL, ALL),
    "download_attachment": (ALL, ALL),
    "manage_outbox": ({"admin"}, {"admin"}),
    "edit_intake": (ASR, ASR),
    "check_intake": (ASR, ASR),
    "add_policy": (ASR, ASR),
    "edit_policy": (ASR, ASR),
    "remove_policy": (ASR, ASR),
    "tick_check": (KEYLANE, KEYLANE),
    "set_first_exchange_date": (KEYLANE, KEYLANE),
    "log_contact": (ALL, ALL),
    "assign": (ASR, ALL),
    "set_waiting": (ASR, KEYLANE),
    "clear_waiting": (ASR, KEYLANE),
    "reopen_request": (ASR, KEYLANE),
    "advance": (ASR, KEYLANE),
    "move_back": (ASR, KEYLANE),
    "withdraw": (ASR, ASR),
    "reopen": (ASR, ASR),
}


def test_the_table_has_exactly_the_rules_walked_here():
    assert set(permissions.RULES) == set(WHO)


@pytest.mark.parametrize("action", sorted(WHO))
@pytest.mark.parametrize("role", ROLES)
def test_who_may_take_each_action(action, role):
    on_asr_step, on_keylane_step = WHO[action]
    person = Person(role)
    assert permissions.allowed(person, action, Reg("policy")) == (role in on_asr_step)
    assert permissions.allowed(person, action, Reg("setup")) == (role in on_keylane_step)
    # The door of the route lets in whoever may take the action on some registration.
    assert (role in permissions.roles_for(action)) == (role in on_asr_step | on_keylane_step)


@pytest.mark.parametrize("action", sorted(WHO))
@pytest.mark.parametrize("role", ROLES)
def test_require_refuses_with_a_dutch_message_exactly_when_not_allowed(app, action, role):
    registration = Reg("setup")
    with app.test_request_context():
        if permissions.allowed(Person(role), action, registration):
            permissions.require(Person(role), action, registration)
        else:
            with pytest.raises(NotAllowed) as refused:
                permissions.require(Person(role), action, registration)
            assert refused.value.status_code == 403
            assert "%(" not in str(refused.value) and str(refused.value)


# (action, registration, offered to the administrator?) - the state part of the rules.
STATES = [
    ("edit_intake", Reg("policy", is_withdrawn=True), False),
    ("edit_intake", Reg("live"), True),  # a live registration's data can still be corrected
    ("tick_check", Reg("policy"), False),
    ("tick_check", Reg("realised"), True),
    ("set_first_exchange_date", Reg("received"), False),
    ("set_first_exchange_date", Reg("setup", is_withdrawn=True), False),
    ("set_waiting", Reg("live"), False),
    ("set_waiting", Reg("setup", is_withdrawn=True), False),
    ("reopen_request", Reg("setup"), True),
    ("reopen_request", Reg("setup", is_waiting=True), False),  # already waiting: nothing to reopen
    ("reopen_request", Reg("setup", is_withdrawn=True), False),
    ("reopen_request", Reg("live"), False),
    ("advance", Reg("live"), False),
    ("advance", Reg("realised"), True),
    ("move_back", Reg("received"), False),
    ("move_back", Reg("live"), False),
    ("withdraw", Reg("live"), False),
    ("withdraw", Reg("setup", is_withdrawn=True), True),
    ("reopen", Reg("setup"), False),
    ("reopen", Reg("setup", is_withdrawn=True), True),
    ("log_contact", Reg("live", is_withdrawn=True), True),
]


@pytest.mark.parametrize("action, registration, offered", STATES)
def test_controls_are_offered_only_in_the_states_they_fit(action, registration, offered):
    assert permissions.may(Person("admin"), action, registration) is offered


def test_a_keylane_engineer_hands_work_only_to_keylane_colleagues(app):
    with app.test_request_context():
        permissions.require_assignable(Person("keylane", 1), Person("keylane", 2))
        permissions.require_assignable(Person("asr", 1), Person("keylane", 2))
        with pytest.raises(NotAllowed):
            permissions.require_assignable(Person("keylane", 1), Person("asr", 2))
