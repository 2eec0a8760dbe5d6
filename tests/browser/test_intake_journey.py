"""A payroll processor registers an employer, with and without JavaScript: fills in the form, checks
the answers (and changes one), sends them, prints the confirmation and follows the status link."""

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from caseapp.extensions import db
from caseapp.models import Registration
from tests.browser.journeys import (
    PROCESSOR_STEP_TITLES,
    VALID_INTAKE,
    add_director,
    answer,
    assert_same_document,
    change_answer,
    choose,
    confirmation_reference,
    director_row,
    director_rows,
    fill_intake,
    fill_intake_field,
    follow_status_link,
    intake_field,
    mark_document,
    on_check_page,
    remove_director,
    send_checked,
    submit_intake,
    tick_all_prerequisites,
)


def assert_status_page_shows_progress(page, reference: str, employer: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(employer)
    expect(page.get_by_text(reference, exact=True)).to_be_visible()
    steps = page.get_by_role("list").filter(has=page.get_by_role("heading", name=PROCESSOR_STEP_TITLES[0]))
    for title in PROCESSOR_STEP_TITLES:
        expect(steps.get_by_role("heading", name=re.compile(re.escape(title)))).to_be_visible()
    expect(steps.get_by_role("listitem")).to_have_count(4)
    expect(page.locator("[aria-current=step]")).to_contain_text("Polisgegevens en inrichting")
    expect(page.get_by_text("Nog niet bekend")).to_be_visible()


def assert_prints_as_a_plain_record(page, reference: str, axe_check, screenshot, name: str) -> None:
    """The print button opens the print dialog; printed, the page keeps its content and loses
    what only works on screen (skip link, navigation, buttons, forms)."""
    button = page.get_by_role("button", name="Afdrukken of opslaan als PDF")
    expect(button).to_be_visible()
    expect(page.get_by_text("Afdrukken of opslaan als PDF:")).to_be_hidden()  # the no-JS instruction
    page.evaluate("() => { window.print = () => { window.__printed = true; }; }")
    button.click()
    assert page.evaluate("() => window.__printed === true")

    page.emulate_media(media="print")
    try:
        expect(page.get_by_text(reference, exact=True)).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        for hidden in (button, page.locator(".skip-link"), page.locator("nav"), page.locator("form"),
                       page.locator(".print-control"), page.get_by_role("link", name="Nog een werkgever aanmelden")):
            for index in range(hidden.count()):
                expect(hidden.nth(index)).to_be_hidden()
        axe_check(page, f"{name} (print)")
        screenshot(page, name)
    finally:
        page.emulate_media(media="screen")


def stored_registrations(live_server) -> int:
    with live_server.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Registration))


def stored_directors(live_server, reference: str) -> list[tuple[str, str]]:
    with live_server.app_context():
        registration = db.session.scalar(sa.select(Registration).where(Registration.reference == reference))
        return [(d.name, d.personnel_number) for d in registration.directors]


def test_processor_registers_an_employer_with_javascript(page, live_server, axe_check, screenshot):
    page.goto("/aanmelden")
    expect(page).to_have_title(re.compile(r"^Werkgever aanmelden"))
    axe_check(page, "intake")
    screenshot(page, "01-intake")
    mark_document(page)

    # A wrong loonheffingennummer: the message appears when the field is left, without a reload.
    payroll = intake_field(page, "payroll_tax_number")
    fill_intake_field(page, "payroll_tax_number", "123456789L01")
    group = page.locator("#payroll-tax-number-group")
    expect(group.get_by_text("voldoen niet aan de elfproef")).to_be_visible()
    expect(payroll).to_have_attribute("aria-invalid", "true")
    assert_same_document(page)

    # The numeric employer number instead of the Werkgever ID: the message says what to use.
    fill_intake_field(page, "loket_employer_id", "48213")
    expect(page.get_by_text("Dit lijkt het werkgeversnummer")).to_be_visible()
    fill_intake_field(page, "loket_employer_id", "B14ACD0D-75D7-4FC8-8B22-4A3924585CAB")
    expect(page.get_by_text("Werkgever ID heeft de juiste vorm.")).to_be_visible()
    expect(page.get_by_text("Dit lijkt het werkgeversnummer")).to_have_count(0)

    for name in ("processor_name", "processor_email", "employer_name", "contract_number"):
        fill_intake_field(page, name, VALID_INTAKE[name])

    # DGA rows come and go in place; focus lands in each new row.
    add_director(page, "Jan de Boer", "101")
    add_director(page, "Piet Smit", "102")
    add_director(page, "Kees Jansen", "103")
    remove_director(page, 2)
    expect(director_row(page, 1).get_by_label("Naam")).to_have_value("Jan de Boer")
    expect(director_row(page, 2).get_by_label("Naam")).to_have_value("Kees Jansen")
    expect(director_row(page, 2).get_by_label("Personeelsnummer")).to_have_value("103")
    assert_same_document(page)

    # Fixing the loonheffingennummer clears the message.
    fill_intake_field(page, "payroll_tax_number", "1234.56.782 L01")
    expect(group.get_by_text("Loonheffingennummer klopt.")).to_be_visible()
    expect(group.get_by_text("elfproef")).to_have_count(0)
    expect(payroll).not_to_have_attribute("aria-invalid", "true")

    choose(page, "Verloningsfrequentie", "Per maand")
    choose(page, "Wordt er een 13e maand uitbetaald?", "Nee")
    assert tick_all_prerequisites(page) == 10
    assert_same_document(page)
    submit_intake(page)

    # Every answer once more, normalised, each with its own "wijzigen" link; nothing stored yet.
    on_check_page(page)
    expect(answer(page, "Loonheffingennummer")).to_have_text("123456782L01")
    expect(answer(page, "Werkgever ID (Loket.nl)")).to_have_text("b14acd0d-75d7-4fc8-8b22-4a3924585cab")
    expect(answer(page, "DGA 2")).to_contain_text("Kees Jansen")
    expect(answer(page, "Verloningsfrequentie")).to_have_text("Per maand")
    expect(page.get_by_role("link", name=re.compile(r"^wijzigen "))).to_have_count(12)
    expect(page.get_by_role("button")).to_have_text(["Aanmelding versturen"])
    assert stored_registrations(live_server) == 0
    axe_check(page, "check answers")
    screenshot(page, "04-check-answers")

    # "wijzigen" goes back to the form, filled in, with the focus in that field.
    change_answer(page, "Raamwerkcontractnummer")
    contract = intake_field(page, "contract_number")
    expect(contract).to_be_focused()
    expect(contract).to_have_value(VALID_INTAKE["contract_number"])
    expect(director_row(page, 2).get_by_label("Personeelsnummer")).to_have_value("103")
    expect(page.get_by_label("Raadplegen HRM")).to_be_checked()
    fill_intake_field(page, "contract_number", "b7654321")
    submit_intake(page)
    on_check_page(page)
    expect(answer(page, "Raamwerkcontractnummer")).to_contain_text("B7654321")
    expect(answer(page, "Raamwerkcontractnummer")).to_contain_text("begint niet met A020")
    send_checked(page)

    reference = confirmation_reference(page)
    expect(page.get_by_role("heading", name="Wat gebeurt er nu?")).to_be_visible()
    axe_check(page, "confirmation")
    screenshot(page, "04-confirmation")
    assert stored_directors(live_server, reference) == [("Jan de Boer", "101"), ("Kees Jansen", "103")]
    assert stored_registrations(live_server) == 1
    assert_prints_as_a_plain_record(page, reference, axe_check, screenshot, "04-confirmation-print")

    follow_status_link(page)
    assert_status_page_shows_progress(page, reference, "Bakkerij Van Dam")
    axe_check(page, "status")
    screenshot(page, "05-status")
    assert_prints_as_a_plain_record(page, reference, axe_check, screenshot, "05-status-print")


def test_processor_registers_an_employer_without_javascript(js_off_page, live_server, expect_status):
    page = js_off_page
    page.goto("/aanmelden")
    fill_intake(page, payroll_tax_number="123456789L01")

    # Without JavaScript the DGA buttons submit the form and the page comes back with the rows changed.
    add_director(page, "Jan de Boer", "101")
    expect(intake_field(page, "employer_name")).to_have_value("Bakkerij Van Dam")
    add_director(page, "Piet Smit", "102")
    remove_director(page, 1)
    expect(director_row(page, 1).get_by_label("Naam")).to_have_value("Piet Smit")
    expect(director_rows(page)).to_have_count(1)

    with expect_status(page, 422, "/aanmelden"):
        submit_intake(page)
    expect(page).to_have_title(re.compile(r"^Fout: "))
    summary = page.get_by_role("alert").filter(has_text="Er is een probleem")
    expect(summary.get_by_role("link")).to_have_text(["Dit loonheffingennummer bestaat niet: de eerste 9 cijfers voldoen niet aan de elfproef. Controleer het nummer op de loonaangifte."])
    # Every other value is kept.
    expect(intake_field(page, "processor_email")).to_have_value("loket@salarisnoord.nl")
    expect(director_row(page, 1).get_by_label("Personeelsnummer")).to_have_value("102")
    expect(page.get_by_role("group", name="Verloningsfrequentie").get_by_label("Per maand")).to_be_checked()

    summary.get_by_role("link").click()
    expect(intake_field(page, "payroll_tax_number")).to_be_focused()
    intake_field(page, "payroll_tax_number").fill("123456782L01")
    submit_intake(page)

    # The check page and its "wijzigen" links are plain pages and links.
    on_check_page(page)
    expect(answer(page, "DGA 1")).to_contain_text("Piet Smit")
    change_answer(page, "Bedrijfsnaam te koppelen werkgever")
    expect(intake_field(page, "employer_name")).to_be_in_viewport()
    expect(page.locator("label[for=employer_name]")).to_be_in_viewport()
    expect(director_row(page, 1).get_by_label("Naam")).to_have_value("Piet Smit")
    intake_field(page, "employer_name").fill("Bakkerij Van Dam en Zonen")
    submit_intake(page)
    expect(answer(page, "Bedrijfsnaam te koppelen werkgever")).to_have_text("Bakkerij Van Dam en Zonen")
    assert stored_registrations(live_server) == 0
    send_checked(page)

    reference = confirmation_reference(page)
    assert stored_directors(live_server, reference) == [("Piet Smit", "102")]
    # Without JavaScript there is no print button, but the page says how to print.
    expect(page.get_by_role("button", name="Afdrukken of opslaan als PDF")).to_have_count(0)
    expect(page.get_by_text("Afdrukken of opslaan als PDF:")).to_be_visible()
    follow_status_link(page)
    assert_status_page_shows_progress(page, reference, "Bakkerij Van Dam en Zonen")
    expect(page.get_by_text("Afdrukken of opslaan als PDF:")).to_be_visible()


def test_failed_submit_moves_focus_to_the_error_summary(page, live_server, expect_status, axe_check, screenshot):
    page.goto("/aanmelden")
    fill_intake(page, payroll_tax_number="123456789L01", processor_email="geen-adres")
    page.get_by_role("region", name="Voorwaarden in Loket.nl").get_by_label("Raadplegen HRM").uncheck()

    with expect_status(page, 422, "/aanmelden"):
        submit_intake(page)
    expect(page).to_have_title(re.compile(r"^Fout: Werkgever aanmelden"))
    summary = page.get_by_role("alert").filter(has_text="Er is een probleem")
    expect(summary).to_be_focused()
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    links = summary.get_by_role("link")
    expect(links).to_have_count(3)
    axe_check(page, "intake with errors")
    screenshot(page, "02-intake-errors")

    # Each link moves focus to its field, so the person can correct it straight away.
    links.filter(has_text="elfproef").click()
    expect(intake_field(page, "payroll_tax_number")).to_be_focused()
    expect(page.locator("label[for=payroll_tax_number]")).to_be_in_viewport()
    links.filter(has_text="e-mailadres").click()
    expect(intake_field(page, "processor_email")).to_be_focused()
    links.filter(has_text="Raadplegen HRM").click()
    expect(page.get_by_label("Raadplegen HRM")).to_be_focused()


def test_dga_rows_keep_keyboard_focus_where_the_change_happened(page, live_server, axe_check, screenshot):
    page.goto("/aanmelden")
    mark_document(page)
    page.get_by_role("button", name="DGA toevoegen", exact=True).focus()
    page.keyboard.press("Enter")
    expect(director_rows(page)).to_have_count(1)
    # After the swap, focus is on the new row's first input: type straight away.
    expect(director_row(page, 1).get_by_label("Naam")).to_be_focused()
    page.keyboard.type("Jan de Boer")
    page.keyboard.press("Tab")
    page.keyboard.type("101")
    assert_same_document(page)
    axe_check(page, "DGA fieldset after adding a row")
    screenshot(page, "03-intake-dga-rows")

    # Removing the row swaps its button away: focus goes to the DGA section, not to the page top.
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Verwijderen DGA 1")).to_be_focused()
    page.keyboard.press("Enter")
    expect(director_rows(page)).to_have_count(0)
    expect(page.get_by_role("region", name="Directeur-grootaandeelhouders (DGA)")).to_be_focused()
    expect(page.get_by_text("Geen DGA toegevoegd.")).to_be_visible()
    assert_same_document(page)
