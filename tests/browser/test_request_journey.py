"""A team asks the processor something, the processor answers on the status page with a
screenshot, and the team sees the answer: the ball comes back by itself (screenshots 6x)."""

import re

from playwright.sync_api import expect

from caseapp.outbox import sender
from tests.browser.journeys import board_card, detail_section, log_in, saved_message
from tests.factories import PNG


def test_a_request_with_items_is_answered_on_the_status_page_with_a_file(
    open_page, live_server, smtp, expect_status, axe_check, screenshot, tmp_path
):
    engineer = live_server.make_user("keylane", name="Kees Jansen")
    registration = live_server.make_registration(step="setup", employer_name="Bakkerij Van Dam",
                                                 processor_email="loket@bureau.nl")
    with live_server.app_context():
        sender.send_due()  # the mails of the submission
    smtp.wait_for(2)
    smtp.clear()

    # Keylane asks for two items; ticking them composes the message from their standard texts.
    staff = open_page()
    log_in(staff, engineer.email, engineer.password)
    expect(staff).to_have_url(re.compile(r"/board$"))
    staff.goto(f"/registrations/{registration.id}")
    waiting = detail_section(staff, "Wachten op de salarisverwerker")
    waiting.get_by_text("Verzoek aan de salarisverwerker", exact=True).click()
    message = waiting.get_by_label("Bericht aan de salarisverwerker")
    waiting.get_by_label("Raadplegen HRM").check()
    waiting.get_by_label("Nieuwe standaardgebruiker in Loket.nl").check()
    expect(message).to_have_value(re.compile(r"webservicegebruiker.*\n- Het recht ‘Raadplegen HRM’ ontbreekt", re.S))
    axe_check(staff, "detail: request form")
    screenshot(staff, "60-detail-request-form")
    waiting.get_by_role("button", name="Verzoek versturen").click()
    expect(saved_message(staff)).to_have_text("Verzoek verstuurd: wacht op de salarisverwerker.")
    expect(waiting.get_by_role("list")).to_contain_text("Raadplegen HRM")

    # The processor hears it by e-mail, and reads on the status page what to do, item by item.
    with live_server.app_context():
        sender.send_due()
    [mail] = smtp.wait_for(1)
    assert mail.rcpt_tos == ["loket@bureau.nl"] and "api@loket.nl" in mail.text

    processor = open_page()
    processor.goto(registration.status_path)
    request = processor.get_by_role("region", name="Wij wachten op u")
    expect(request.get_by_role("heading", name="Raadplegen HRM")).to_be_visible()
    expect(request.get_by_role("heading", name="Nieuwe standaardgebruiker in Loket.nl")).to_be_visible()
    expect(request.get_by_role("link", name="api@loket.nl")).to_have_attribute("href", "mailto:api@loket.nl")
    axe_check(processor, "status: open request")
    screenshot(processor, "61-status-open-request")

    # A question without a comment is refused, with the error summary first and focus on it.
    processor.get_by_label("Ik heb een vraag").check()
    with expect_status(processor, 422, "/answer"):
        processor.get_by_role("button", name="Antwoord versturen").click()
    expect(processor).to_have_title(re.compile(r"^Fout:"))
    expect(processor.locator("#error-summary")).to_be_focused()
    expect(processor.locator("#error-summary")).to_contain_text("Schrijf uw vraag op")
    axe_check(processor, "status: answer refused")
    screenshot(processor, "62-status-answer-refused")

    # Done, with a comment and a screenshot.
    screenshot_file = tmp_path / "rechten.png"
    screenshot_file.write_bytes(PNG)
    processor.get_by_label("Geregeld").check()
    processor.get_by_label("Toelichting of vraag").fill("Het recht staat nu aan.")
    processor.get_by_label("Schermafbeelding of PDF (optioneel)").set_input_files(str(screenshot_file))
    processor.get_by_role("button", name="Antwoord versturen").click()
    expect(processor).to_have_url(re.compile(r"/status/[A-Za-z0-9_-]+$"))
    expect(processor.get_by_text("Bedankt, uw antwoord is ontvangen.")).to_be_visible()
    expect(processor.get_by_role("heading", name="Uw antwoord is ontvangen")).to_be_visible()
    expect(processor.get_by_role("button", name="Antwoord versturen")).to_have_count(0)
    axe_check(processor, "status: answered")
    screenshot(processor, "63-status-answered")

    # Keylane's mailbox hears it; the board shows it; the detail page has the answer and the file.
    with live_server.app_context():
        sender.send_due()
    mails = smtp.wait_for(2)
    assert mails[1].rcpt_tos == [live_server.app.config["KEYLANE_MAILBOX"]]
    staff.goto("/board")
    card = board_card(staff, registration.reference)
    expect(card.get_by_role("list", name="Signalen")).to_contain_text("Antwoord ontvangen")
    expect(card).to_contain_text("Keylane aan zet")
    staff.goto(f"/registrations/{registration.id}")
    waiting = detail_section(staff, "Wachten op de salarisverwerker")
    expect(waiting).to_contain_text("Antwoord van de salarisverwerker: Geregeld")
    expect(waiting).to_contain_text("Het recht staat nu aan.")
    timeline = detail_section(staff, "Tijdlijn")
    expect(timeline).to_contain_text("Antwoord van de salarisverwerker: Geregeld")
    with staff.expect_download() as download:
        timeline.get_by_role("link", name="Bijlage downloaden: rechten.png").click()
    assert download.value.suggested_filename == "rechten.png"
    assert download.value.path().read_bytes() == PNG
    axe_check(staff, "detail: answer received")
    screenshot(staff, "64-detail-answer-received")

    # Not enough after all: ask the same again, in one action.
    waiting.get_by_role("button", name="Verzoek opnieuw uitzetten").click()
    expect(saved_message(staff)).to_have_text("Verzoek opnieuw verstuurd: wacht weer op de salarisverwerker.")
    expect(waiting.get_by_role("button", name="Niet meer wachten")).to_be_visible()
    processor.reload()
    expect(processor.get_by_role("region", name="Wij wachten op u")).to_contain_text("Raadplegen HRM")
