"""A reply channel in every e-mail to the processor, as the real SMTP server receives it:
who to contact about the registration's current step (name, e-mail, phone) in the text
and the HTML part, a Reply-To of that team, and the reference in the subject. Team mail
has no Reply-To; a resend keeps the one it was queued with; a line break in a contact
setting cannot plant a header."""

from __future__ import annotations

from datetime import date, timedelta
from email.utils import parseaddr

import pytest

from caseapp.dates import today_local, utcnow
from caseapp.extensions import db
from caseapp.outbox import messages
from caseapp.process import PREREQUISITE_KEYS
from tests.factories import log_in
from tests.mail.support import clear_outbox, mail_settings, outbox
from tests.registrations.conftest import Desk

PROCESSOR = "loket@bureau.nl"
ASR = {"name": "a.s.r. Team Salariskoppelingen", "email": "salariskoppeling@asr.example", "phone": "030 257 80 00"}
# No KEYLANE_CONTACT_EMAIL: Keylane's contact address is its mailbox.
KEYLANE = {"name": "Keylane Onboarding", "email": "salariskoppeling@keylane.example", "phone": "+31 85 123 45 67"}
TEAMS = {"asr": ASR, "keylane": KEYLANE}


@pytest.fixture()
def app_config(smtp_server) -> dict:
    return mail_settings(
        smtp_server.port,
        ASR_CONTACT_NAME=ASR["name"], ASR_CONTACT_EMAIL=ASR["email"], ASR_CONTACT_PHONE=ASR["phone"],
        KEYLANE_CONTACT_NAME=KEYLANE["name"], KEYLANE_CONTACT_PHONE=KEYLANE["phone"],
        KEYLANE_MAILBOX=KEYLANE["email"],
    )


@pytest.fixture()
def desk(client, auth):
    return Desk(client, auth)


@pytest.fixture()
def staff(make_user):
    return {role: make_user(role) for role in ("asr", "keylane")}


@pytest.fixture()
def registration(make_registration):
    registration, _token = make_registration(employer_name="Bakkerij Van Dam", processor_email=PROCESSOR)
    clear_outbox()
    return registration


def assert_replies_go_to(received, team: str, reference: str) -> None:
    contact = TEAMS[team]
    [reply_to] = received.message["Reply-To"].addresses
    assert (reply_to.addr_spec, reply_to.display_name) == (contact["email"], contact["name"]), received.subject
    assert reference in received.subject
    for part in (received.text, received.html):
        for value in contact.values():
            assert value in part, (received.subject, value)
        assert f"Neem contact op met {contact['name']} en vermeld referentie {reference}" in part
    assert f'href="mailto:{contact["email"]}"' in received.html


def test_each_processor_mail_names_the_team_of_its_step_and_replies_go_to_that_team(
    app, desk, staff, make_registration, smtp_server, send
):
    registration, _token = make_registration(employer_name="Bakkerij Van Dam", processor_email=PROCESSOR)
    rid, reference = registration.id, registration.reference
    desk.login(staff["asr"])
    assert desk.post(rid, "waiting", {"reason": "Rechten ontbreken: Raadplegen HRM",
                                      "request_items": "right_hrm"}).status_code == 303
    assert desk.post(rid, "waiting/clear").status_code == 303
    assert desk.post(rid, "assign", {"action": "take"}).status_code == 303
    assert desk.post(rid, "advance").status_code == 303
    assert desk.post(rid, "policies", {"policy_number": "PP-1234567", "scheme": "a.s.r. Werknemerspensioen",
                                       "start_date": "2026-01-01"}).status_code == 303
    assert desk.post(rid, "intake/checked", {"checked": "1"}).status_code == 303
    assert desk.post(rid, "advance").status_code == 303  # to setup: Keylane's now

    desk.login(staff["keylane"])
    assert desk.post(rid, "waiting", {"reason": "De gebruiker is geblokkeerd",
                                      "request_items": "active_user"}).status_code == 303
    assert desk.post(rid, "waiting/clear").status_code == 303
    for key in PREREQUISITE_KEYS:
        assert desk.post(rid, f"checks/{key}", {"ticked": "1"}).status_code == 303
    first = today_local() + timedelta(days=14)
    assert desk.post(rid, "first-exchange-date", {"first_exchange_date": first.isoformat()}).status_code == 303
    assert desk.post(rid, "advance").status_code == 303  # realised
    later = first + timedelta(days=7)
    assert desk.post(rid, "first-exchange-date", {"first_exchange_date": later.isoformat()}).status_code == 303

    desk.login(staff["asr"])
    assert desk.post(rid, "withdraw", {"reason": "Werkgever stapt over"}).status_code == 303
    send()

    received = smtp_server.to(PROCESSOR)
    assert [(r.subject.partition(":")[0]) for r in received] == [
        "Aanmelding ontvangen", "Actie nodig", "Actie nodig", "Salariskoppeling gerealiseerd",
        "Nieuwe datum eerste uitwisseling", "Aanmelding ingetrokken",
    ]
    # a.s.r. in received and policy, Keylane in setup and realised, a.s.r. once withdrawn.
    for item, team in zip(received, ["asr", "asr", "keylane", "keylane", "keylane", "asr"]):
        assert_replies_go_to(item, team, reference)


@pytest.mark.parametrize(("step", "team"), [("received", "asr"), ("policy", "asr"), ("setup", "keylane"),
                                            ("realised", "keylane")])
def test_waiting_on_the_processor_replies_to_the_team_that_owns_the_step(registration, send, smtp_server, step, team):
    registration.step = step
    messages.queue_waiting_on_processor(registration, "Het recht Raadplegen HRM ontbreekt.")
    db.session.commit()
    send()

    [received] = smtp_server.received
    assert_replies_go_to(received, team, registration.reference)
    assert "U kunt ook antwoorden op deze e-mail." in received.text


def test_mail_to_the_team_mailboxes_has_no_reply_to(make_registration, send, smtp_server, app):
    registration, _token = make_registration(processor_email=PROCESSOR)
    messages.queue_setup_started(registration)
    db.session.commit()
    send()

    team_mail = smtp_server.to(app.config["ASR_INTAKE_MAILBOX"]) + smtp_server.to(KEYLANE["email"])
    assert [r.subject.partition(":")[0] for r in team_mail] == ["Nieuwe aanmelding", "Klaar voor inrichting"]
    assert all(r.message["Reply-To"] is None for r in team_mail)
    [confirmation] = smtp_server.to(PROCESSOR)
    assert confirmation.message["Reply-To"] is not None


def test_a_resent_copy_replies_to_the_team_it_was_queued_for(registration, client, make_user, send, smtp_server):
    registration.step = "setup"
    [original] = [messages.queue_waiting_on_processor(registration, "De gebruiker is geblokkeerd")]
    db.session.commit()
    send()
    # Since then the registration was withdrawn: a new mail would name a.s.r.
    registration.withdrawn_at = utcnow()
    db.session.commit()

    log_in(client, make_user("admin"))
    assert client.post(f"/admin/outbox/{original.id}/resend").status_code == 303
    send()

    first, copy = smtp_server.to(PROCESSOR)
    assert str(copy.message["Reply-To"]) == str(first.message["Reply-To"])
    assert_replies_go_to(copy, "keylane", registration.reference)
    assert [parseaddr(m.reply_to) for m in outbox()] == [(KEYLANE["name"], KEYLANE["email"])] * 2


def test_a_failed_message_sent_again_keeps_its_reply_to(registration, client, make_user, send, smtp_server, app):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 1
    registration.first_exchange_date = date(2027, 2, 1)
    registration.step = "realised"
    messages.queue_realised(registration)
    db.session.commit()
    smtp_server.refuse()
    send()
    [message] = outbox()
    assert message.status == "failed"

    smtp_server.accept()
    log_in(client, make_user("admin"))
    assert client.post(f"/admin/outbox/{message.id}/resend").status_code == 303
    send()
    [received] = smtp_server.received
    assert_replies_go_to(received, "keylane", registration.reference)


def test_the_outbox_page_shows_where_replies_go(registration, client, make_user):
    message = messages.queue_withdrawn(registration, "Dubbel aangemeld")
    db.session.commit()
    log_in(client, make_user("admin"))
    page = client.get(f"/admin/outbox/{message.id}").get_data(as_text=True)
    assert "Antwoorden naar" in page and ASR["email"] in page


@pytest.mark.parametrize(
    "name",
    [
        "a.s.r.\r\nBcc: spion@evil.example\r\nX-Geplant: ja",
        "a.s.r.\nBcc: spion@evil.example\nX-Geplant: ja",
        "a.s.r.\rBcc: spion@evil.example\rX-Geplant: ja",
        "a.s.r.\u2028Bcc: spion@evil.example\u2028X-Geplant: ja",
        # No line break, but specials: the long header is folded again on its way out,
        # without the quotes; this would then read as a group with another address.
        "a.s.r. Aanmelddesk salariskoppeling voor werkgevers, Bcc: spion@evil.example",
    ],
)
def test_a_contact_name_changed_at_run_time_plants_no_header_and_no_address(
    registration, send, smtp_server, app, name
):
    """Start-up refuses such a name (tests/test_contacts.py); a setting changed after
    start still cannot add a header, a recipient or another reply address."""
    app.config["ASR_CONTACT_NAME"] = name
    messages.queue_withdrawn(registration, "Dubbel aangemeld")
    db.session.commit()
    send()

    [received] = smtp_server.received
    assert received.rcpt_tos == [PROCESSOR]
    assert received.message["Bcc"] is None and received.message["X-Geplant"] is None
    [reply_to] = received.message["Reply-To"].addresses
    assert (reply_to.addr_spec, reply_to.display_name) == (ASR["email"], "")  # the address alone
    assert "spion@evil.example" not in str(received.message["Reply-To"])
    assert [m.status for m in outbox()] == ["sent"]
