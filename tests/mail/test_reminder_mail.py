"""A reminder as the mail server receives it: to the processor, Reply-To the team that
owns the step, naming the open items and the status page."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.models import ProcessorRequest, Registration
from caseapp.reminders import send_due_reminders
from tests.factories import ask_processor
from tests.mail.support import clear_outbox

OPENED = datetime(2026, 4, 23, 8, 0)  # Thursday; Koningsdag is Monday the 27th


def test_the_reminder_reaches_the_processor_with_reply_to_and_the_items(
    app, make_registration, make_staff, smtp_server, send
):
    registration, _token = make_registration(step="setup", employer_name="Bakkerij Van Dam",
                                             processor_email="loket@bureau.nl")
    request_id = ask_processor(registration.id, make_staff("keylane"), items=("right_hrm", "active_user"))
    db.session.execute(sa.update(ProcessorRequest).where(ProcessorRequest.id == request_id).values(opened_at=OPENED))
    db.session.execute(sa.update(Registration).where(Registration.id == registration.id)
                       .values(waiting_since=OPENED))
    db.session.commit()
    clear_outbox()

    assert send_due_reminders(datetime(2026, 4, 29, 12, 0)).queued == 1
    assert "sent 1" in send()
    [reminder] = smtp_server.to("loket@bureau.nl")
    assert "Herinnering" in reminder.subject and registration.reference in reminder.subject
    [reply_to] = reminder.message["Reply-To"].addresses
    assert reply_to.addr_spec == app.config["KEYLANE_MAILBOX"]
    text = reminder.text.replace("\r\n", "\n")
    assert "- Raadplegen HRM\n" in text and "- Gebruiker is actief\n" in text
    assert "statuspagina" in reminder.text and "api@loket.nl" in reminder.text
    assert "<li>Raadplegen HRM</li>" in reminder.html
