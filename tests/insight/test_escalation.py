"""A request to the processor open for ESCALATION_WORKING_DAYS (10) working days is
escalated: on the board card, on /my and in the digest."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseapp.dates import utcnow
from caseapp.extensions import db
from caseapp.insight.digest import build_digest
from caseapp.models import ProcessorRequest, Registration
from tests.factories import ask_processor
from tests.registrations.conftest import text_of


@pytest.fixture()
def waiting(app, make_registration, make_staff):
    """Two registrations in `policy` waiting on the processor: one for 30 calendar
    days (at least 18 working days), one since yesterday."""

    def _waiting(days_ago: int, employer: str) -> Registration:
        registration, _token = make_registration(step="policy", employer_name=employer)
        request_id = ask_processor(registration.id, make_staff("asr"))
        opened = utcnow() - timedelta(days=days_ago)
        db.session.execute(sa.update(ProcessorRequest).where(ProcessorRequest.id == request_id)
                           .values(opened_at=opened))
        db.session.execute(sa.update(Registration).where(Registration.id == registration.id)
                           .values(waiting_since=opened, ball_since=opened))
        db.session.commit()
        return registration

    return {"long": _waiting(30, "Bakkerij Van Dam"), "new": _waiting(1, "Drukkerij Peters")}


def _card(page: str, reference: str) -> str:
    start = page.index(reference)
    return page[start:page.index("</li>", start)]


def test_the_board_card_shows_an_escalated_request(client, login_as, waiting):
    login_as("asr")
    page = client.get("/board").get_data(as_text=True)
    assert "Geëscaleerd: verzoek" in _card(page, waiting["long"].reference)
    assert "Geëscaleerd" not in _card(page, waiting["new"].reference)


def test_my_work_lists_the_escalated_request(client, login_as, waiting):
    login_as("asr")
    page = text_of(client.get("/my"))
    section = page[page.index("Geëscaleerd (1)"):page.index("Wachten lang op de salarisverwerker")]
    assert waiting["long"].reference in section and "werkdagen open" in section
    assert waiting["new"].reference not in section


def test_the_digest_lists_the_escalated_request(app, waiting):
    text = build_digest("asr", utcnow()).text
    section = text[text.index("Geëscaleerd (verzoek aan de salarisverwerker 10 werkdagen"):text.index("Gerealiseerd")]
    assert f"- {waiting['long'].reference} Bakkerij Van Dam (verzoek aan de salarisverwerker" in section
    assert waiting["new"].reference not in section


def test_an_answered_request_is_no_longer_escalated(app, client, login_as, waiting):
    registration = db.session.get(Registration, waiting["long"].id)
    registration.waiting_since = None
    db.session.execute(sa.update(ProcessorRequest).values(closed_at=utcnow()))
    db.session.commit()
    assert build_digest("asr", utcnow()).counts["escalated"] == 0
    login_as("asr")
    assert "Geëscaleerd: verzoek" not in client.get("/board").get_data(as_text=True)
