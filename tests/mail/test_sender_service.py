"""`outbox send --loop` as a service, and several senders at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from caseapp.extensions import db
from caseapp.outbox import messages, sender
from tests.mail.support import clear_outbox, mail_settings, outbox

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def registration(make_registration):
    registration, _token = make_registration(employer_name="Bakkerij Van Dam")
    clear_outbox()
    return registration


def queue_messages(registration, count: int) -> None:
    for n in range(count):
        messages.queue_withdrawn(registration, f"Reden {n}")
    db.session.commit()


def wait_for(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def start_sender(database_url: str, port: int, interval: str) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MAIL_", "CASEAPP_"))}
    env.update(DATABASE_URL=database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(port), MAIL_TIMEOUT="5")
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "send", "--loop", "--interval", interval],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def stop(process: subprocess.Popen) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    try:
        return process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()


def test_loop_sends_messages_as_they_are_queued_and_stops_cleanly_on_sigterm(registration, smtp_server, database_url):
    queue_messages(registration, 1)
    sender = start_sender(database_url, smtp_server.port, interval="0.2")
    try:
        wait_for(lambda: len(smtp_server.received) == 1)
        queue_messages(registration, 2)  # while the service runs
        wait_for(lambda: len(smtp_server.received) == 3)
    finally:
        output, errors = stop(sender)

    assert sender.returncode == 0, errors
    assert "Outbox sender running every 0.2 s" in output
    assert "Outbox sender stopped." in output
    assert [m.status for m in outbox()] == ["sent"] * 3


def test_sigterm_stops_the_loop_while_it_waits_for_the_next_run(smtp_server, database_url):
    sender = start_sender(database_url, smtp_server.port, interval="300")
    try:
        wait_for(lambda: "running" in (sender.stdout.readline() or ""))
        started = time.monotonic()
    finally:
        output, errors = stop(sender)
    assert sender.returncode == 0, errors
    assert time.monotonic() - started < 5
    assert "Outbox sender stopped." in output


def test_two_senders_at_once_deliver_each_of_200_messages_exactly_once(
    is_postgres, registration, smtp_server, make_app
):
    if not is_postgres:
        pytest.skip("needs PostgreSQL (set TEST_DATABASE_URL); on SQLite a single sender is supported")
    queue_messages(registration, 200)
    senders = [make_app(**mail_settings(smtp_server.port)) for _ in range(2)]
    start = threading.Barrier(len(senders))
    reports: dict[int, sender.SendReport] = {}
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            with senders[index].app_context():
                start.wait()
                reports[index] = sender.send_due(batch_size=5)
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(senders))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    deliveries = Counter(received.message_id for received in smtp_server.received)
    assert len(deliveries) == 200
    assert set(deliveries.values()) == {1}
    messages = outbox()
    assert {m.message_id for m in messages} == set(deliveries)
    assert {(m.status, m.attempts) for m in messages} == {("sent", 1)}
    assert sum(report.sent for report in reports.values()) == 200
    assert all(report.sent > 0 for report in reports.values()), reports  # both really took part
