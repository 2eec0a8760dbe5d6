"""Reminders to the processor while a request is open (`flask reminders send`).

Dates around Koningsdag (Monday 27 April 2026) and Bevrijdingsdag (Tuesday 5 May,
a holiday every year here): a request opened on Thursday 23 April reaches 3
working days on Wednesday 29 April and 7 on Wednesday 6 May.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseapp import workflow
from caseapp.changes import transaction
from caseapp.extensions import db
from caseapp.models import ProcessorRequest, Registration
from caseapp.reminders import send_due_reminders
from tests.factories import ask_processor
from tests.mail.support import clear_outbox, outbox

ROOT = Path(__file__).resolve().parents[1]
# Thursday 23 April 2026, 10:00 in Amsterdam (CEST, UTC+2).
OPENED = datetime(2026, 4, 23, 8, 0)


def at(day: int, month: int = 4) -> datetime:
    """Noon UTC on that day of 2026."""
    return datetime(2026, month, day, 12, 0)


@pytest.fixture()
def open_request(app, make_registration, make_staff):
    """A registration in `policy` waiting on the processor since OPENED; returns (registration id, request id)."""

    def _make(opened=OPENED, **fields):
        registration, token = make_registration(step="policy", **fields)
        request_id = ask_processor(registration.id, make_staff("asr"))
        db.session.execute(sa.update(ProcessorRequest).where(ProcessorRequest.id == request_id)
                           .values(opened_at=opened))
        db.session.execute(sa.update(Registration).where(Registration.id == registration.id)
                           .values(waiting_since=opened, ball_since=opened))
        db.session.commit()
        clear_outbox()
        return registration.id, request_id, token

    return _make


def reminders(**where):
    return outbox(kind="reminder", **where)


def run(runner, now: datetime) -> str:
    result = runner.invoke(args=["reminders", "send", "--now", now.isoformat()])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def test_reminders_after_3_and_7_working_days_skip_the_dutch_holidays(open_request, runner):
    _rid, request_id, _token = open_request()
    assert run(runner, at(28)) == "Reminders: queued 0.\n"  # Koningsdag is no working day: 2 so far
    assert reminders() == []
    assert run(runner, at(29)) == "Reminders: queued 1.\n"
    assert len(reminders()) == 1
    assert run(runner, at(5, 5)) == "Reminders: queued 0.\n"  # 6 working days (Bevrijdingsdag)
    assert run(runner, at(6, 5)) == "Reminders: queued 1.\n"
    assert run(runner, at(20, 5)) == "Reminders: queued 0.\n"  # two reminders, no more
    assert len(reminders()) == 2
    assert db.session.get(ProcessorRequest, request_id).reminders_sent == 2


def test_no_reminder_before_3_working_days(open_request):
    open_request()
    assert send_due_reminders(at(24)).queued == 0
    assert send_due_reminders(at(28)).queued == 0
    assert reminders() == []


def test_running_the_command_twice_queues_each_reminder_once(open_request, runner):
    open_request()
    open_request()
    assert run(runner, at(29)) == "Reminders: queued 2.\n"
    assert run(runner, at(29)) == "Reminders: queued 0.\n"
    assert len(reminders()) == 2


def test_a_request_that_was_missed_for_days_gets_one_reminder_not_two(open_request):
    open_request()
    assert send_due_reminders(at(8, 5)).queued == 1
    assert send_due_reminders(at(8, 5)).queued == 0
    assert len(reminders()) == 1


def test_no_reminder_after_the_processor_answered(app, open_request):
    _rid, _request_id, token = open_request()
    assert send_due_reminders(at(29)).queued == 1
    response = app.test_client().post(f"/status/{token}/answer", data={"answer": "done", "comment": ""})
    assert response.status_code == 303
    assert send_due_reminders(at(6, 5)).queued == 0
    assert len(reminders()) == 1


def test_no_reminder_after_the_team_stopped_waiting(open_request, make_staff):
    rid, _request_id, _token = open_request()
    with transaction():
        workflow.clear_waiting(db.session.get(Registration, rid), make_staff("asr"))
    assert send_due_reminders(at(29)).queued == 0
    assert reminders() == []


def test_no_reminder_for_a_withdrawn_registration(open_request, make_staff):
    rid, _request_id, _token = open_request()
    with transaction():
        workflow.withdraw(db.session.get(Registration, rid), make_staff("admin"), "Werkgever stopt")
    clear_outbox()
    assert send_due_reminders(at(29)).queued == 0
    assert reminders() == []


def test_the_reminder_names_the_open_items_the_status_page_and_the_contact(open_request):
    rid, _request_id, _token = open_request(employer_name="Bakkerij Van Dam", processor_email="loket@bureau.nl")
    send_due_reminders(at(29))
    [reminder] = reminders()
    reference = db.session.get(Registration, rid).reference
    assert reminder.recipient == "loket@bureau.nl"
    assert "Herinnering" in reminder.subject and reference in reminder.subject
    assert "23-04-2026" in reminder.body_text and "Bakkerij Van Dam" in reminder.body_text
    assert "Wat nog openstaat:\n- Nieuwe standaardgebruiker in Loket.nl\n- Raadplegen HRM\n" in reminder.body_text
    assert "statuspagina" in reminder.body_text
    assert reminder.reply_to.endswith("<intake-salariskoppeling@example.nl>")  # a.s.r. owns `policy`
    assert "Raadplegen HRM" in reminder.body_html


def _concurrent_run(database_url: str, now: datetime) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MAIL_", "CASEAPP_"))}
    env.update(DATABASE_URL=database_url)
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "reminders", "send", "--now", now.isoformat()],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_two_processes_at_once_never_queue_a_reminder_twice(is_postgres, database_url, open_request):
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL): SQLite runs one writer at a time anyway")
    request_ids = [open_request()[1] for _ in range(40)]
    for now in (at(29), at(6, 5)):
        processes = [_concurrent_run(database_url, now) for _ in range(3)]
        outputs = [process.communicate(timeout=120) for process in processes]
        assert all(process.returncode == 0 for process in processes), outputs
    per_request = Counter(message.registration_id for message in reminders())
    assert len(per_request) == len(request_ids)
    assert set(per_request.values()) == {2}
