"""The processor withdraws on the status page, as the mail server receives it: the processor
gets the withdrawn mail as for a staff withdrawal, the mailbox of the team that owns the step
hears that the processor withdrew it, and why."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("step, mailbox, other", [
    ("setup", "KEYLANE_MAILBOX", "ASR_INTAKE_MAILBOX"),
    ("received", "ASR_INTAKE_MAILBOX", "KEYLANE_MAILBOX"),
])
def test_a_withdrawal_by_the_processor_reaches_the_processor_and_the_team_that_owns_the_step(
    app, make_registration, smtp_server, send, step, mailbox, other
):
    registration, token = make_registration(step=step, employer_name="Bakkerij Van Dam",
                                            processor_email="loket@bureau.nl")
    rid, reference = registration.id, registration.reference
    send()
    smtp_server.received.clear()

    processor = app.test_client()
    assert processor.post(f"/status/{token}/intrekken", data={"reason": "Dubbel aangemeld."}).status_code == 200
    send()
    assert smtp_server.received == []  # asking "are you sure?" sends nothing
    response = processor.post(f"/status/{token}/intrekken", data={"reason": "Dubbel aangemeld.", "confirm": "yes"})
    assert response.status_code == 303
    send()
    [told] = smtp_server.to("loket@bureau.nl")
    assert "Aanmelding ingetrokken" in told.subject and reference in told.subject
    assert "Reden: Dubbel aangemeld." in told.text
    [team] = smtp_server.to(app.config[mailbox])
    assert "Ingetrokken door de salarisverwerker" in team.subject and reference in team.subject
    assert "Reden: Dubbel aangemeld." in team.text and f"/registrations/{rid}" in team.text
    assert "Aanmelding openen" in team.html and "Dubbel aangemeld." in team.html
    assert smtp_server.to(app.config[other]) == []
