"""A request and its answer, as the mail server receives them: the processor hears what the
team asks, item by item with what to do in Loket.nl; the mailbox of the team that owns the
step hears the answer (a.s.r.'s intake mailbox in a.s.r.'s steps, Keylane's in Keylane's)."""

from __future__ import annotations

import io

import pytest

from tests.factories import PNG


@pytest.mark.parametrize("step, team, mailbox, other", [
    ("setup", "keylane", "KEYLANE_MAILBOX", "ASR_INTAKE_MAILBOX"),
    ("policy", "asr", "ASR_INTAKE_MAILBOX", "KEYLANE_MAILBOX"),
])
def test_the_request_reaches_the_processor_and_the_answer_the_team_that_owns_the_step(
    app, desk, staff, make_registration, smtp_server, send, step, team, mailbox, other
):
    registration, token = make_registration(step=step, employer_name="Bakkerij Van Dam",
                                            processor_email="loket@bureau.nl")
    rid, reference = registration.id, registration.reference
    send()
    smtp_server.received.clear()

    desk.login(staff[team])
    assert desk.post(rid, "waiting", {"reason": "Wilt u dit regelen?",
                                      "request_items": ["right_hrm", "active_user"]}).status_code == 303
    send()
    [asked] = smtp_server.to("loket@bureau.nl")
    assert reference in asked.subject and "Wilt u dit regelen?" in asked.text
    assert "Gebruiker is actief:" in asked.text and "Raadplegen HRM:" in asked.text
    assert "api@loket.nl" in asked.text and "Handleiding REST API koppeling" in asked.text
    assert "api@loket.nl" in asked.html and "Raadplegen HRM" in asked.html

    processor = app.test_client()
    response = processor.post(f"/status/{token}/answer", content_type="multipart/form-data", data={
        "answer": "done", "comment": "Recht toegekend.", "attachment": (io.BytesIO(PNG), "rechten.png")})
    assert response.status_code == 303
    send()
    [answered] = smtp_server.to(app.config[mailbox])
    assert "Antwoord van de salarisverwerker" in answered.subject and reference in answered.subject
    assert "Antwoord: Geregeld" in answered.text and "Bijlage: ja" in answered.text
    assert f"/registrations/{rid}" in answered.text and "Aanmelding openen" in answered.html
    assert "Recht toegekend." not in answered.text  # the answer itself is read in the app
    assert smtp_server.to(app.config[other]) == []
    assert len(smtp_server.to("loket@bureau.nl")) == 1
