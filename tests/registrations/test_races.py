"""Lost races on every edit path: another process commits a change after this
request read the registration and before it writes. Both read the same version;
the version column (UPDATE ... WHERE version = <read>) lets only the first one
win, and the second is answered 409 with nothing of it stored, never a 500.

The rival runs on its own connection, as another gunicorn worker or host would.
The cluster test (tests/production/test_two_servers.py) races real servers; this
one makes the race certain for each path, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from caseapp.board import routes as board_routes
from caseapp.dates import today_local, utcnow
from caseapp.extensions import db
from caseapp.models import AuthorisationCheck, Director, PolicyRecord, Registration
from caseapp.process import PREREQUISITE_KEYS
from caseapp.registrations import service
from tests.factories import VALID_PAYROLL_TAX_NUMBERS
from tests.registrations.conftest import HX, events_of, fresh, text_of
from tests.registrations.test_sections import POLICY, contact_form, intake_form

LOST_RACE = "op hetzelfde moment gewijzigd"
ELSEWHERE = "Salarisbureau Elders"


# --- what the rival does (one transaction on its own connection) ---------------------


def bump(connection, rid):
    """Any change by someone else: the registration gets a new version."""
    connection.execute(
        sa.update(Registration).where(Registration.id == rid)
        .values(version=Registration.version + 1, processor_name=ELSEWHERE, updated_at=utcnow())
    )


def delete_policies(connection, rid):
    connection.execute(sa.delete(PolicyRecord).where(PolicyRecord.registration_id == rid))
    bump(connection, rid)


def tick_hrm(connection, rid):
    connection.execute(sa.insert(AuthorisationCheck).values(registration_id=rid, key="right_hrm", checked_at=utcnow()))
    bump(connection, rid)


def untick_all(connection, rid):
    connection.execute(sa.delete(AuthorisationCheck).where(AuthorisationCheck.registration_id == rid))
    bump(connection, rid)


def replace_directors(connection, rid):
    connection.execute(sa.delete(Director).where(Director.registration_id == rid))
    connection.execute(sa.insert(Director).values(registration_id=rid, position=0, name="Elders", personnel_number="7"))
    bump(connection, rid)


# --- states the actions need ----------------------------------------------------------


def with_policy(registration, staff):
    registration.policies.append(PolicyRecord(policy_number="PP-1", scheme="Pensioen", start_date=date(2026, 1, 1)))


def with_director(registration, staff):
    registration.directors.append(Director(position=0, name="Directeur", personnel_number="7"))


def ready_for_setup(registration, staff):
    with_policy(registration, staff)
    registration.intake_checked = True


def assigned(registration, staff):
    registration.assignee_id = staff["asr"].id


def all_checks(registration, staff):
    registration.checks.extend(AuthorisationCheck(key=key) for key in PREREQUISITE_KEYS)


def ready_for_realised(registration, staff):
    all_checks(registration, staff)
    registration.first_exchange_date = today_local() + timedelta(days=7)


def waiting(registration, staff):
    registration.waiting_reason, registration.waiting_since = "Rechten ontbreken", utcnow()


def withdrawn(registration, staff):
    registration.withdrawn_reason, registration.withdrawn_at = "Dubbel", utcnow()


ORIGINAL_TAX_NUMBER = VALID_PAYROLL_TAX_NUMBERS[0]


def other_tax_number(registration):
    assert registration.payroll_tax_number == ORIGINAL_TAX_NUMBER
    return VALID_PAYROLL_TAX_NUMBERS[1]


def policy_url(rid, suffix):
    policy_id = db.session.scalar(sa.select(PolicyRecord.id).where(PolicyRecord.registration_id == rid))
    return f"policies/{policy_id}/{suffix}"


# (id, role, step, arrange, action (or a function of the id), form data (or a function of the
#  registration), the rival, what must be true afterwards besides "nothing of ours stored")
CASES = [
    ("intake-name", "asr", "policy", None, "intake",
     lambda r: intake_form(r, employer_name="Nieuwe Naam B.V."), bump,
     lambda r: r.employer_name != "Nieuwe Naam B.V."),
    ("intake-tax-number", "asr", "policy", None, "intake",
     lambda r: intake_form(r, payroll_tax_number=other_tax_number(r)), bump,
     lambda r: r.payroll_tax_number == ORIGINAL_TAX_NUMBER),
    ("intake-directors", "asr", "policy", with_director, "intake",
     lambda r: intake_form(r, **{"directors-0-name": "Andere Directeur", "directors-0-personnel_number": "7"}),
     replace_directors, lambda r: [d.name for d in r.directors] == ["Elders"]),
    ("intake-checked", "asr", "policy", None, "intake/checked", {"checked": "1"}, bump,
     lambda r: not r.intake_checked),
    ("policy-add", "asr", "policy", None, "policies", POLICY, bump,
     lambda r: not _policies(r.id)),
    ("policy-edit-deleted", "asr", "policy", with_policy, lambda rid: policy_url(rid, "edit"),
     dict(POLICY, policy_number="PP-2"), delete_policies, lambda r: not _policies(r.id)),
    ("policy-edit", "asr", "policy", with_policy, lambda rid: policy_url(rid, "edit"),
     dict(POLICY, policy_number="PP-2"), bump, lambda r: _policies(r.id) == ["PP-1"]),
    ("policy-delete-deleted", "asr", "policy", with_policy, lambda rid: policy_url(rid, "delete"), {},
     delete_policies, lambda r: not _policies(r.id)),
    ("policy-delete", "asr", "policy", with_policy, lambda rid: policy_url(rid, "delete"), {}, bump,
     lambda r: _policies(r.id) == ["PP-1"]),
    ("check-tick-same", "keylane", "setup", None, "checks/right_hrm", {"ticked": "1"}, tick_hrm,
     lambda r: _checks(r.id) == ["right_hrm"]),
    ("check-untick", "keylane", "setup", all_checks, "checks/right_hrm", {"ticked": "0"}, untick_all,
     lambda r: _checks(r.id) == []),
    ("contact-add", "keylane", "setup", None, "contacts", contact_form(), bump,
     lambda r: _contacts(r.id) == 0),
    ("assign-take", "asr", "received", None, "assign", {"action": "take"}, bump,
     lambda r: r.assignee_id is None),
    ("first-exchange-date", "keylane", "setup", None, "first-exchange-date",
     {"first_exchange_date": "2099-01-01"}, bump, lambda r: r.first_exchange_date is None),
    ("waiting-set", "keylane", "setup", None, "waiting", {"reason": "Rechten ontbreken", "request_items": "right_hrm"},
     bump, lambda r: not r.is_waiting),
    ("waiting-clear", "keylane", "setup", waiting, "waiting/clear", {}, bump, lambda r: r.is_waiting),
    ("withdraw", "asr", "policy", None, "withdraw", {"reason": "Dubbel aangemeld"}, bump,
     lambda r: not r.is_withdrawn),
    ("reopen", "asr", "policy", withdrawn, "reopen", {}, bump, lambda r: r.is_withdrawn),
    ("advance-received", "asr", "received", assigned, "advance", {}, bump, lambda r: r.step == "received"),
    ("advance-policy", "asr", "policy", ready_for_setup, "advance", {}, bump, lambda r: r.step == "policy"),
    ("advance-setup", "keylane", "setup", ready_for_realised, "advance", {}, untick_all,
     lambda r: r.step == "setup"),
    ("back", "asr", "policy", None, "back", {"reason": "Verkeerde stap"}, bump, lambda r: r.step == "policy"),
]


def _policies(rid):
    return list(db.session.scalars(sa.select(PolicyRecord.policy_number).where(PolicyRecord.registration_id == rid)))


def _checks(rid):
    return list(db.session.scalars(sa.select(AuthorisationCheck.key).where(AuthorisationCheck.registration_id == rid)))


def _contacts(rid):
    from caseapp.models import ContactLogEntry

    return db.session.scalar(
        sa.select(sa.func.count()).select_from(ContactLogEntry).where(ContactLogEntry.registration_id == rid)
    )


@pytest.fixture()
def rival_after_load(monkeypatch):
    """rival_after_load(rid, change): the next time a request loads the registration
    for a change, `change` is committed by someone else right after that read."""

    def arm(rid, change):
        def commit_rival():
            with db.engine.begin() as connection:
                change(connection, rid)

        real_detail, real_board = service.load_for_change, board_routes._load_for_move

        def load_then_lose(registration_id, *args, **kwargs):
            registration = real_detail(registration_id, *args, **kwargs)
            commit_rival()
            return registration

        def load_for_move_then_lose(registration_id):
            registration = real_board(registration_id)
            commit_rival()
            return registration

        monkeypatch.setattr(service, "load_for_change", load_then_lose)
        monkeypatch.setattr(board_routes, "_load_for_move", load_for_move_then_lose)

    return arm


def arrange(rid, step, setup, staff):
    registration = service.load_for_change(rid)
    with db.session.no_autoflush:
        registration.step = step
        if setup is not None:
            setup(registration, staff)
    db.session.commit()


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize(("role", "step", "setup", "action", "data", "rival", "unchanged"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_a_change_that_loses_the_race_is_a_409_and_stores_nothing(
    desk, staff, make_registration, rival_after_load, role, step, setup, action, data, rival, unchanged, htmx
):
    registration, _token = make_registration(payroll_tax_number=ORIGINAL_TAX_NUMBER)
    rid = registration.id
    arrange(rid, step, setup, staff)
    desk.login(staff[role])
    seen = fresh(rid)
    version, events = seen.version, len(events_of(rid))
    body = data(seen) if callable(data) else data
    path = action(rid) if callable(action) else action

    rival_after_load(rid, rival)
    response = desk.post(rid, path, body, version=version, htmx=htmx)

    assert response.status_code == 409, text_of(response)[:2000]
    assert LOST_RACE in text_of(response)
    after = fresh(rid)
    assert after.version == version + 1  # the rival's change, and only that
    assert after.processor_name == ELSEWHERE
    assert ELSEWHERE in text_of(response)  # the page shows the data as it is now
    assert len(events_of(rid)) == events
    assert unchanged(after)
    if htmx:
        assert response.headers["HX-Retarget"] == "#registration-detail"


BOARD_MOVES = [
    ("next", "received", assigned, {}),
    ("next", "policy", ready_for_setup, {}),
    ("back", "setup", None, {"reason": "Polis ontbreekt"}),
]


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize(("direction", "step", "setup", "extra"), BOARD_MOVES,
                         ids=[f"{m[0]}-{m[1]}" for m in BOARD_MOVES])
def test_a_board_move_that_loses_the_race_is_refused_and_moves_nothing(
    client, desk, staff, make_registration, rival_after_load, direction, step, setup, extra, htmx
):
    registration, _token = make_registration()
    rid = registration.id
    arrange(rid, step, setup, staff)
    desk.login(staff["admin"])
    version, events = fresh(rid).version, len(events_of(rid))

    rival_after_load(rid, bump)
    response = client.post("/board/move", data={"registration_id": rid, "direction": direction,
                                                "version": version, "board": "", **extra},
                           headers=HX if htmx else {})
    # With or without JavaScript: 409 and why (without, on the board as it is now).
    assert response.status_code == 409
    assert LOST_RACE in text_of(response)
    after = fresh(rid)
    assert after.step == step and after.version == version + 1
    assert len(events_of(rid)) == events
