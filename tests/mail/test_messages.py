"""Each message, as the SMTP server receives it: recipients, subject, what it says."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.models import Registration
from caseapp.outbox import messages
from tests.factories import send_intake, valid_intake_form
from tests.mail.support import clear_outbox, outbox

PROCESSOR = "loket@salarisnoord.nl"
DGA_FIELDS = {
    "directors-0-name": "Jan de Boer", "directors-0-personnel_number": "47110815",
    "directors-1-name": "Piet Smit", "directors-1-personnel_number": "47120815",
}


def submit(client, **overrides) -> Registration:
    response = send_intake(client, valid_intake_form(**overrides))
    assert response.status_code == 303
    return db.session.scalars(sa.select(Registration).order_by(Registration.id.desc())).first()


@pytest.fixture()
def registration(make_registration):
    """A submitted registration whose submission e-mail is out of the way."""
    registration, _token = make_registration(
        employer_name="Bakkerij Van Dam", directors=[("Jan de Boer", "47110815")]
    )
    clear_outbox()
    return registration


def only_message(smtp_server):
    assert len(smtp_server.received) == 1, [r.subject for r in smtp_server.received]
    return smtp_server.received[0]


def test_submission_confirms_to_the_processor_with_summary_status_link_and_next_steps(client, send, smtp_server, app):
    registration = submit(client, **DGA_FIELDS)
    send()

    [received] = smtp_server.to(PROCESSOR)
    assert received.subject == f"Aanmelding ontvangen: Bakkerij Van Dam ({registration.reference})"
    assert received.message["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert received.message["Auto-Submitted"] == "auto-generated"
    for part in (received.text, received.html):
        assert registration.reference in part
        for submitted in ("Salarisbureau Noord B.V.", "A0201234567", "123456782L01",
                          "b14acd0d-75d7-4fc8-8b22-4a3924585cab", "Per maand", "Jan de Boer", "47110815",
                          "Piet Smit", "47120815"):
            assert submitted in part, submitted
        assert "Keylane" in part
    assert "WAT GEBEURT ER NU?" in received.text and "Wat gebeurt er nu?" in received.html

    status_url = re.search(r"http://testserver/status/\S+", received.text).group(0)
    assert f'href="{status_url}"' in received.html
    status_page = client.get(status_url.removeprefix("http://testserver"))
    assert status_page.status_code == 200
    assert registration.reference in status_page.get_data(as_text=True)


def test_submission_tells_the_asr_intake_mailbox_with_a_link_and_no_personal_details(client, send, smtp_server, app):
    registration = submit(client, **DGA_FIELDS)
    send()

    [received] = smtp_server.to(app.config["ASR_INTAKE_MAILBOX"])
    assert received.subject == f"Nieuwe aanmelding: Bakkerij Van Dam ({registration.reference})"
    detail_url = f"http://testserver/registrations/{registration.id}"
    assert detail_url in received.text and f'href="{detail_url}"' in received.html
    for part in (received.text, received.html):
        assert "A0201234567" in part and "Salarisbureau Noord B.V." in part
        assert "Aantal DGA" in part
        for private in ("Jan de Boer", "47110815", "Piet Smit", "47120815", PROCESSOR, "/status/"):
            assert private not in part, private
    assert len(smtp_server.received) == 2


def test_asr_is_told_about_a_possible_duplicate_and_a_contract_number_without_prefix(client, send, smtp_server, app):
    first = submit(client)
    second = submit(client, contract_number="B123", employer_name="Bakkerij Van Dam Twee")
    send()

    [received] = [r for r in smtp_server.to(app.config["ASR_INTAKE_MAILBOX"]) if second.reference in r.subject]
    for part in (received.text, received.html):
        assert "mogelijk dubbel" in part and first.reference in part
        assert "begint niet met A020" in part
    [confirmation] = [r for r in smtp_server.to(PROCESSOR) if second.reference in r.subject]
    assert "begint niet met A020" in confirmation.text


def test_setup_started_goes_to_the_keylane_mailbox_with_a_link(registration, send, smtp_server, app):
    messages.queue_setup_started(registration)
    db.session.commit()
    send()

    received = only_message(smtp_server)
    assert received.rcpt_tos == [app.config["KEYLANE_MAILBOX"]]
    assert received.subject == f"Klaar voor inrichting: Bakkerij Van Dam ({registration.reference})"
    detail_url = f"http://testserver/registrations/{registration.id}"
    assert detail_url in received.text and f'href="{detail_url}"' in received.html
    for part in (received.text, received.html):
        assert "autorisaties" in part
        for private in ("Jan de Boer", "47110815", PROCESSOR, registration.payroll_tax_number):
            assert private not in part, private


def test_realised_tells_the_processor_the_first_exchange_date(registration, send, smtp_server):
    registration.first_exchange_date = date(2027, 2, 1)
    messages.queue_realised(registration)
    db.session.commit()
    send()

    received = only_message(smtp_server)
    assert received.rcpt_tos == [PROCESSOR]
    assert received.subject == f"Salariskoppeling gerealiseerd: Bakkerij Van Dam ({registration.reference})"
    for part in (received.text, received.html):
        assert "maandag 1 februari 2027" in part
        assert_points_to_the_confirmation_email(part, registration)
    assert registration.first_exchange_date_notified == date(2027, 2, 1)


def test_realised_without_a_first_exchange_date_is_refused(registration):
    with pytest.raises(ValueError):
        messages.queue_realised(registration)
    assert outbox() == []


def test_a_changed_first_exchange_date_tells_the_processor_old_and_new(registration, send, smtp_server):
    registration.first_exchange_date = date(2027, 3, 1)
    messages.queue_first_exchange_date_changed(registration, old_date=date(2027, 2, 1))
    db.session.commit()
    send()

    received = only_message(smtp_server)
    assert received.rcpt_tos == [PROCESSOR]
    assert received.subject == f"Nieuwe datum eerste uitwisseling: Bakkerij Van Dam ({registration.reference})"
    assert "Was: maandag 1 februari 2027" in received.text
    assert "Nieuwe datum: maandag 1 maart 2027" in received.text
    assert "maandag 1 februari 2027" in received.html and "maandag 1 maart 2027" in received.html
    assert_points_to_the_confirmation_email(received.text, registration)
    assert registration.first_exchange_date_notified == date(2027, 3, 1)


def test_an_unchanged_first_exchange_date_queues_nothing(registration):
    registration.first_exchange_date = date(2027, 3, 1)
    assert messages.queue_first_exchange_date_changed(registration, old_date=date(2027, 3, 1)) is None
    assert outbox() == []


def test_withdrawn_tells_the_processor_the_reason_escaped_in_html(registration, send, smtp_server):
    messages.queue_withdrawn(registration, "Werkgever heeft <geen> pensioenregeling bij a.s.r.")
    db.session.commit()
    send()

    received = only_message(smtp_server)
    assert received.rcpt_tos == [PROCESSOR]
    assert received.subject == f"Aanmelding ingetrokken: Bakkerij Van Dam ({registration.reference})"
    assert "Reden: Werkgever heeft <geen> pensioenregeling bij a.s.r." in received.text
    assert "Werkgever heeft &lt;geen&gt; pensioenregeling" in received.html
    assert "<geen>" not in received.html
    assert registration.reference in received.text


@pytest.mark.parametrize(("step", "team"), [("received", "a.s.r."), ("setup", "Keylane")])
def test_waiting_on_processor_says_what_is_needed_and_who_goes_on(registration, send, smtp_server, step, team):
    registration.step = step
    messages.queue_waiting_on_processor(registration, "Het recht Raadplegen HRM ontbreekt.")
    db.session.commit()
    send()

    received = only_message(smtp_server)
    assert received.rcpt_tos == [PROCESSOR]
    assert received.subject == f"Actie nodig: Bakkerij Van Dam ({registration.reference})"
    for part in (received.text, received.html):
        assert "Het recht Raadplegen HRM ontbreekt." in part
        assert f"gaat {team} verder" in part
        assert_points_to_the_confirmation_email(part, registration)


def test_a_team_mailbox_left_empty_queues_nothing_for_that_team(registration, app):
    app.config["KEYLANE_MAILBOX"] = ""
    assert messages.queue_setup_started(registration) is None
    assert outbox() == []


def assert_points_to_the_confirmation_email(part: str, registration: Registration) -> None:
    """Later e-mails cannot carry the status link (only its hash is kept)."""
    assert "/status/" not in part
    assert "statuslink in de bevestigingsmail" in part
    assert registration.reference in part


def test_links_in_mail_come_from_base_url_whatever_host_the_request_named(app, client):
    """A forged Host or X-Forwarded-Host must not put another site's address in a mail."""
    from tests.factories import valid_intake_form
    from tests.mail.support import outbox

    forged = {"Host": "aanmelden.evil.example", "X-Forwarded-Host": "evil.example"}
    assert client.post("/aanmelden", data=valid_intake_form(), headers=forged).status_code == 303
    assert client.post("/aanmelden/controleren", headers=forged).status_code == 303
    messages = outbox()
    assert [m.kind for m in messages] == ["submission_received", "new_registration"]
    for message in messages:
        for body in (message.body_text, message.body_html):
            assert "evil.example" not in body
            assert app.config["BASE_URL"] + "/" in body
