"""A Keylane engineer works the checklist, logs a contact, sets the first-exchange date and
realises the link; the processor sees the date on the status page and gets the e-mail."""

import re
from datetime import timedelta

from babel.dates import format_date
from playwright.sync_api import expect

from caseapp.dates import today_local
from caseapp.outbox import sender
from caseapp.process import PREREQUISITES
from tests.browser.journeys import (
    assert_same_document,
    board_card,
    detail_section,
    log_in,
    mark_document,
    press,
    saved_message,
)


def long_date(value) -> str:
    """A date as the processor reads it, e.g. 'maandag 14 december 2026'."""
    return format_date(value, "EEEE d MMMM y", locale="nl")


def test_keylane_engineer_realises_the_link_and_the_processor_learns_the_date(
    open_page, live_server, smtp, expect_status, axe_check, screenshot
):
    engineer = live_server.make_user("keylane", name="Kees Jansen")
    registration = live_server.make_registration(step="setup", employer_name="Bakkerij Van Dam")
    first_exchange = today_local() + timedelta(days=14)

    page = open_page()
    log_in(page, engineer.email, engineer.password)
    expect(page).to_have_url(re.compile(r"/board$"))
    board_card(page, registration.reference).get_by_role("link", name=re.compile(rf"^{registration.reference}")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bakkerij Van Dam")
    mark_document(page)

    # The checklist: each tick is saved in place and focus stays on the row's button.
    checks = detail_section(page, "Autorisatiecontroles")
    expect(checks.get_by_role("heading", level=2)).to_contain_text("0 van 10 afgevinkt")
    for number, prerequisite in enumerate(PREREQUISITES, start=1):
        label = str(prerequisite.label)
        checks.get_by_role("button", name=re.compile(rf"^Afvinken\s*: {re.escape(label)}$")).click()
        expect(checks.get_by_role("heading", level=2)).to_contain_text(f"{number} van 10 afgevinkt")
        untick = checks.get_by_role("button", name=re.compile(rf"^Vinkje weghalen\s*: {re.escape(label)}$"))
        expect(untick).to_be_focused()
        expect(saved_message(page)).to_have_text(f"Afgevinkt: {label}.")
        if number == 1:
            axe_check(page, "detail: first check ticked")
            screenshot(page, "20-detail-check-ticked")
    expect(checks.get_by_text("Afgevinkt door Kees Jansen")).to_have_count(10)

    # A contact: a failed submit puts focus on the list of problems, a good one on the new entry.
    contacts = detail_section(page, "Contact met de salarisverwerker")
    contacts.get_by_text("Contact vastleggen", exact=True).first.click()
    contacts.get_by_label("Met wie").fill("Jan Pietersen (salarisadministratie)")
    contacts.get_by_role("group", name="Hoe").get_by_label("telefoon").check()
    with expect_status(page, 422, "/contacts"):
        contacts.get_by_role("button", name="Contact vastleggen").click()
    problems = contacts.get_by_role("alert")
    expect(problems).to_contain_text("Vat kort samen wat er besproken is.")
    expect(problems).to_be_focused()
    expect(contacts.get_by_label("Met wie")).to_have_value("Jan Pietersen (salarisadministratie)")
    axe_check(page, "detail: contact with an error")
    screenshot(page, "21-detail-contact-error")
    problems.get_by_role("link", name="Vat kort samen wat er besproken is.").click()
    expect(contacts.get_by_label("Samenvatting")).to_be_focused()
    page.keyboard.type("Rechten in Loket.nl samen doorgelopen; de gebruiker is actief.")
    contacts.get_by_role("button", name="Contact vastleggen").click()
    entry = contacts.get_by_role("listitem").filter(has_text="Jan Pietersen (salarisadministratie)")
    expect(entry).to_contain_text("Rechten in Loket.nl samen doorgelopen")
    expect(entry).to_contain_text("telefoon")
    expect(entry).to_be_focused()
    expect(contacts.get_by_role("heading", level=2)).to_contain_text("(1)")
    axe_check(page, "detail: contact logged")
    screenshot(page, "22-detail-contact-logged")

    # The first-exchange date: an empty date is refused with focus on the message.
    date_section = detail_section(page, "Eerste uitwisseling")
    with expect_status(page, 422, "/first-exchange-date"):
        date_section.get_by_role("button", name="Opslaan").click()
    expect(date_section.get_by_role("alert")).to_contain_text("Vul een datum in.")
    expect(date_section.get_by_role("alert")).to_be_focused()
    date_section.get_by_label("Datum eerste uitwisseling").fill(first_exchange.isoformat())
    date_section.get_by_role("button", name="Opslaan").click()
    expect(date_section).to_contain_text(long_date(first_exchange))
    expect(date_section.get_by_role("heading", name="Eerste uitwisseling")).to_be_focused()
    next_step = detail_section(page, "Wat is nodig om verder te gaan")
    expect(next_step).to_contain_text("Alles is klaar voor ‘Gerealiseerd’.")
    assert_same_document(page)
    axe_check(page, "detail: date set")
    screenshot(page, "23-detail-date-set")

    # Realise the link: the whole detail is redrawn and focus goes to its heading.
    next_step.get_by_role("button", name="Naar ‘Gerealiseerd’").click()
    expect(saved_message(page)).to_have_text("Naar de stap ‘Gerealiseerd’.")
    expect(page.get_by_role("list", name="Voortgang").locator("[aria-current=step]")).to_contain_text("Gerealiseerd")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    assert_same_document(page)
    axe_check(page, "detail: realised")
    screenshot(page, "24-detail-realised")

    # The processor's status page now shows the date.
    processor = open_page()
    processor.goto(registration.status_path)
    dates = processor.get_by_role("definition").filter(has_text=long_date(first_exchange))
    expect(dates).to_have_count(1)
    expect(processor.locator("[aria-current=step]")).to_contain_text("Bevestiging en eerste uitwisseling")
    axe_check(processor, "status: realised")
    screenshot(processor, "25-status-realised")

    # Once the outbox is sent, the processor has the message with the date.
    with live_server.app_context():
        report = sender.send_due()
    assert report.failed == 0 and report.retrying == 0, str(report)
    received = smtp.wait_for(report.sent)
    [realised] = [mail for mail in received if "gerealiseerd" in mail.subject.lower()]
    assert realised.rcpt_tos == ["loket@salarisnoord.nl"]
    assert realised.subject == f"Salariskoppeling gerealiseerd: Bakkerij Van Dam ({registration.reference})"
    assert long_date(first_exchange) in realised.text

    # An administrator reads it in the outbox.
    admin = live_server.make_user("admin", name="Bea Beheer")
    reader = open_page()
    log_in(reader, admin.email, admin.password)
    reader.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Uitgaande e-mail").click()
    expect(reader.get_by_role("heading", level=1)).to_have_text("Uitgaande e-mail")
    row = reader.get_by_role("row").filter(has_text=realised.subject)
    expect(row).to_contain_text("loket@salarisnoord.nl")
    expect(row).to_contain_text("Verzonden")
    axe_check(reader, "outbox")
    screenshot(reader, "26-outbox")
    sent = reader.get_by_role("navigation", name="Filter op status").get_by_role("link", name=re.compile(r"^Verzonden"))
    press(reader, sent)
    expect(reader).to_have_url(re.compile(r"/admin/outbox\?status=sent$"))
    expect(sent).to_have_attribute("aria-current", "page")
    expect(sent).to_be_focused()  # the list changed in place; focus stays on the chosen filter
    row.get_by_role("link", name=realised.subject).click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(realised.subject)
    expect(reader.locator(".mail-body").first).to_contain_text(long_date(first_exchange))
    axe_check(reader, "outbox message")
    screenshot(reader, "27-outbox-message")
