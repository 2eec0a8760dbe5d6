"""The e-mail the process promises, as the staff's actions over HTTP cause it and as
a real SMTP server receives it: Keylane hears when work lands in setup, the
processor when the link is realised, when the date moves, when we wait on them
and when the registration is withdrawn."""

from __future__ import annotations

from datetime import timedelta

from caseapp.dates import today_local
from caseapp.process import PREREQUISITE_KEYS
from tests.registrations.conftest import fresh


def _to_setup(desk, staff, rid):
    desk.login(staff["asr"])
    assert desk.post(rid, "assign", {"action": "take"}).status_code == 303
    assert desk.post(rid, "advance").status_code == 303
    assert desk.post(rid, "policies", {"policy_number": "PP-1234567", "scheme": "a.s.r. Werknemerspensioen",
                                       "start_date": "2026-01-01"}).status_code == 303
    assert desk.post(rid, "intake/checked", {"checked": "1"}).status_code == 303
    assert desk.post(rid, "advance").status_code == 303


def test_the_process_sends_what_it_promises(app, desk, staff, make_registration, smtp_server, send):
    registration, _token = make_registration(employer_name="Bakkerij Van Dam", processor_email="loket@bureau.nl")
    rid, reference = registration.id, registration.reference
    send()
    smtp_server.received.clear()

    _to_setup(desk, staff, rid)
    send()
    keylane = smtp_server.to(app.config["KEYLANE_MAILBOX"])
    assert len(keylane) == 1 and reference in keylane[0].subject
    assert f"/registrations/{rid}" in keylane[0].text

    desk.login(staff["keylane"])
    for key in PREREQUISITE_KEYS:
        assert desk.post(rid, f"checks/{key}", {"ticked": "1"}).status_code == 303
    first = today_local() + timedelta(days=14)
    assert desk.post(rid, "first-exchange-date", {"first_exchange_date": first.isoformat()}).status_code == 303
    send()
    assert smtp_server.to("loket@bureau.nl") == []  # a date in setup is not news for the processor yet

    assert desk.post(rid, "advance").status_code == 303
    send()
    realised = smtp_server.to("loket@bureau.nl")
    assert len(realised) == 1 and reference in realised[0].subject
    with app.test_request_context():
        from flask_babel import format_date

        spelled = format_date(first, "EEEE d MMMM y")
    assert f"Eerste uitwisseling van gegevens: {spelled}" in realised[0].text

    later = first + timedelta(days=7)
    assert desk.post(rid, "first-exchange-date", {"first_exchange_date": later.isoformat()}).status_code == 303
    send()
    moved = smtp_server.to("loket@bureau.nl")[1:]
    assert len(moved) == 1 and reference in moved[0].subject
    assert fresh(rid).first_exchange_date_notified == later


def test_waiting_and_withdrawal_tell_the_processor_the_reason(app, desk, staff, make_registration, smtp_server, send):
    registration, _token = make_registration(processor_email="loket@bureau.nl")
    rid = registration.id
    send()
    smtp_server.received.clear()

    desk.login(staff["asr"])
    request = {"reason": "Rechten ontbreken: Raadplegen HRM", "request_items": "right_hrm"}
    assert desk.post(rid, "waiting", request).status_code == 303
    assert desk.post(rid, "waiting/clear").status_code == 303
    assert desk.post(rid, "withdraw", {"reason": "Werkgever stapt over naar een andere uitvoerder"}).status_code == 303
    send()
    received = smtp_server.to("loket@bureau.nl")
    assert len(received) == 2
    assert "Rechten ontbreken: Raadplegen HRM" in received[0].text
    assert "Werkgever stapt over naar een andere uitvoerder" in received[1].text


def test_a_refused_transition_queues_nothing(app, desk, staff, make_registration, smtp_server, send):
    registration, _token = make_registration()
    rid = registration.id
    send()
    smtp_server.received.clear()
    desk.login(staff["asr"])
    assert desk.post(rid, "advance").status_code == 422  # nobody took it yet
    assert desk.post(rid, "withdraw", {"reason": ""}).status_code == 422
    send()
    assert smtp_server.received == []
