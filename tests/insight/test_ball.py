"""Who has the ball: the line on a board card, and the moment the workflow keeps for it."""

from __future__ import annotations

import random
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import format_date

from caseapp import process, workflow
from caseapp.changes import WorkflowError, transaction
from caseapp.dates import dutch_holidays, local_date, utcnow
from caseapp.extensions import db
from caseapp.insight.clocks import ball_since_after, compute_clock
from caseapp.models import AuthorisationCheck, Event, PolicyRecord, Registration
from caseapp.registrations.service import load_for_change
from tests.factories import moved, submitted

from .conftest import days_ago, today_local


def _working_days(start, end) -> int:
    """Working days after `start` up to and including `end`, counted day by day by hand:
    Monday to Friday, not a Dutch holiday."""
    days = (start + timedelta(days=n) for n in range(1, (end - start).days + 1))
    return sum(1 for day in days if day.weekday() < 5 and day not in dutch_holidays(day.year))


def _card(client, registration, query: str = "") -> str:
    """The card of `registration` on the board, as text without tags."""
    html = client.get(f"/board{query}").get_data(as_text=True)
    start = html.index(f'id="card-{registration.id}"')
    card = html[start:html.index("</li>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", card).split())


@pytest.fixture()
def viewer(client, login_as):
    login_as("asr")
    return client


def test_a_card_says_who_has_the_ball_and_for_how_long(viewer, make_history):
    registration = make_history([submitted(days_ago(3.2))])
    assert "a.s.r. aan zet · 3 dagen" in _card(viewer, registration)


def test_the_ball_stays_with_a_team_that_moves_it_to_its_own_next_step(viewer, make_history):
    # a.s.r. has had it since the submission ten days ago, through two of its steps;
    # Keylane since it was handed over two days ago.
    with_asr = make_history([submitted(days_ago(10.2)), moved(days_ago(1), "received", "policy")])
    with_keylane = make_history([submitted(days_ago(10.2)), moved(days_ago(5), "received", "policy"),
                                 moved(days_ago(2.1), "policy", "setup")])
    assert "a.s.r. aan zet · 10 dagen" in _card(viewer, with_asr)
    assert "Keylane aan zet · 2 dagen" in _card(viewer, with_keylane)


def test_the_ball_stays_with_a_team_whose_move_goes_through_the_workflow(viewer, make_history, make_staff):
    # make_history sets ball_since from the replay; here the workflow's own upkeep of it
    # has to keep a.s.r.'s ten days when a.s.r. moves the registration to its next step.
    admin = make_staff("admin")
    registration = make_history([submitted(days_ago(10.2))])
    with transaction():
        workflow.assign(load_for_change(registration.id), admin, admin)
    with transaction():
        registration = load_for_change(registration.id)
        assert workflow.advance(registration, admin) == "policy"
    assert "a.s.r. aan zet · 10 dagen" in _card(viewer, registration)


def test_a_card_flags_stale_and_due_in_words(viewer, make_history):
    follow_up = today_local() - timedelta(days=15)
    registration = make_history([submitted(days_ago(30))], contacts=[(days_ago(20), follow_up)])
    held = _working_days(local_date(days_ago(20)), today_local())
    since_submission = _working_days(local_date(days_ago(30)), today_local())
    assert since_submission != held
    card = _card(viewer, registration)
    assert f"Blijft liggen: {held} werkdagen" in card  # counted from the latest contact,
    assert f"Blijft liggen: {since_submission} werkdagen" not in card  # not from the submission
    with viewer.application.test_request_context():
        assert f"Opvolgen sinds {format_date(follow_up, 'd MMM')}" in card


def test_a_card_for_a_waiting_or_withdrawn_registration(viewer, make_history):
    waiting = make_history([submitted(days_ago(1)), (days_ago(0.1), "waiting_set", {})])
    assert "Salarisverwerker aan zet · minder dan een dag" in _card(viewer, waiting)
    long_waiting = make_history([submitted(days_ago(40)), (days_ago(30), "waiting_set", {})])
    waited = _working_days(local_date(days_ago(30)), today_local())
    assert f"Wacht {waited} werkdagen op de salarisverwerker" in _card(viewer, long_waiting)
    withdrawn = make_history([submitted(days_ago(30)), (days_ago(29), "withdrawn", {})])
    card = _card(viewer, withdrawn, "?withdrawn=1")
    assert "Ingetrokken" in card and "aan zet" not in card and "Blijft liggen" not in card


# ---------------------------------------------------------------------------
# The workflow keeps registration.ball_since; the event replay must agree.
# ---------------------------------------------------------------------------


def _ready_for_every_step(registration, actor) -> None:
    """Make every guard hold, so the walk below can move in both directions."""
    registration.assignee_id = actor.id
    registration.intake_checked = True
    registration.first_exchange_date = today_local() + timedelta(days=10)
    db.session.add(PolicyRecord(registration=registration, policy_number="PP-1", scheme="Pensioen",
                                start_date=today_local(), created_by_id=actor.id))
    for key in process.PREREQUISITE_KEYS:
        db.session.add(AuthorisationCheck(registration=registration, key=key, checked_by_id=actor.id))
    db.session.commit()


def _replayed(registration):
    rows = db.session.execute(
        sa.select(Event.created_at, Event.kind, Event.data)
        .where(Event.registration_id == registration.id)
        .order_by(Event.created_at, Event.id)
    ).all()
    return [tuple(row) for row in rows]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_ball_the_workflow_keeps_is_the_ball_the_event_trail_replays(make_registration, make_user, seed):
    rng = random.Random(seed)
    admin = make_user("admin")
    registration, _token = make_registration()
    _ready_for_every_step(registration, admin)
    actions = {
        "advance": lambda r: workflow.advance(r, admin, confirm_first_exchange=True),
        "back": lambda r: workflow.move_back(r, admin, "Terug voor de test"),
        "wait": lambda r: workflow.set_waiting(r, admin, "Rechten ontbreken", ["right_hrm"]),
        "resume": lambda r: workflow.clear_waiting(r, admin),
        "answer": lambda r: workflow.answer_request(r, "done"),  # the processor, on the status page
        "ask_again": lambda r: workflow.reopen_request(r, admin),
        "withdraw": lambda r: workflow.withdraw(r, admin, "Overgestapt"),
        "reopen": lambda r: workflow.reopen(r, admin),
    }
    done = []
    for _ in range(40):
        registration = load_for_change(registration.id)  # as a request would, with what the guards read
        if registration.is_withdrawn:
            name = "reopen"
        else:
            waits = ["resume", "answer"] if registration.is_waiting else ["wait", "ask_again"]
            name = rng.choice(["advance", "advance", "back", "withdraw", *waits])
        try:
            with transaction():
                actions[name](registration)
        except WorkflowError:
            continue
        done.append(name)
        trail = _replayed(registration)
        clock = compute_clock(trail, utcnow())
        assert registration.ball_since == ball_since_after(trail), (done, registration.step)
        state = (registration.step, registration.is_waiting, registration.is_withdrawn)
        assert state == (clock.step, clock.waiting, clock.withdrawn), done
    assert {"advance", "back", "wait", "resume", "answer", "ask_again", "withdraw", "reopen"} <= set(done)


def test_a_new_registration_is_with_asr_from_its_submission(make_registration):
    registration, _token = make_registration()
    submitted_at = db.session.scalar(sa.select(Event.created_at).where(Event.registration_id == registration.id))
    stored = db.session.get(Registration, registration.id)
    assert workflow.ball_party(stored) == "asr"
    assert stored.ball_since == submitted_at == stored.created_at
