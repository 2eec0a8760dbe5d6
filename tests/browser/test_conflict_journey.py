"""Two staff members edit the same registration at once: the second save is not lost silently
and overwrites nothing; it gets the conflict message with the values as they are now."""

import re

from playwright.sync_api import expect

from caseapp.extensions import db
from caseapp.models import Registration
from tests.browser.journeys import (
    INTAKE_LABELS,
    assert_same_document,
    detail_section,
    log_in,
    mark_document,
    saved_message,
)


def open_intake_edit(page, registration_id: int):
    page.goto(f"/registrations/{registration_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bakkerij Van Dam")
    mark_document(page)
    intake = detail_section(page, "Aanmeldgegevens")
    intake.get_by_role("link", name=re.compile(r"^Wijzigen")).click()
    first_field = intake.get_by_label(INTAKE_LABELS["processor_name"], exact=True)
    expect(first_field).to_be_focused()
    return intake


def test_second_of_two_editors_sees_the_conflict_with_the_current_values(
    open_page, live_server, expect_status, axe_check, screenshot
):
    anna = live_server.make_user("asr", name="Anna de Vries")
    bart = live_server.make_user("asr", name="Bart Bos")
    registration = live_server.make_registration(step="policy", employer_name="Bakkerij Van Dam")

    first, second = open_page(), open_page()
    log_in(first, anna.email, anna.password)
    log_in(second, bart.email, bart.password)
    expect(first).to_have_url(re.compile(r"/board$"))
    expect(second).to_have_url(re.compile(r"/board$"))

    # Both open the intake data for editing.
    anna_form = open_intake_edit(first, registration.id)
    bart_form = open_intake_edit(second, registration.id)
    axe_check(first, "detail: intake edit form")
    screenshot(first, "30-detail-intake-edit")

    # Anna saves first.
    anna_form.get_by_label(INTAKE_LABELS["employer_name"], exact=True).fill("Bakkerij Van Dam B.V.")
    anna_form.get_by_role("button", name="Opslaan").click()
    expect(saved_message(first)).to_have_text("Aanmeldgegevens opgeslagen.")
    expect(anna_form.get_by_role("heading", name="Aanmeldgegevens")).to_be_focused()
    expect(first.get_by_role("heading", level=1)).to_have_text("Bakkerij Van Dam B.V.")

    # Bart saves a different change from the page he loaded before: refused, nothing overwritten.
    bart_form.get_by_label(INTAKE_LABELS["processor_email"], exact=True).fill("pensioen@salarisnoord.nl")
    with expect_status(second, 409, "/intake"):
        bart_form.get_by_role("button", name="Opslaan").click()
    conflict = second.get_by_role("alert").filter(has_text="Niet opgeslagen: de aanmelding is intussen gewijzigd.")
    expect(conflict).to_be_focused()
    expect(conflict).to_contain_text("Hieronder ziet u de actuele gegevens.")
    expect(second.get_by_role("heading", level=1)).to_have_text("Bakkerij Van Dam B.V.")
    employer = bart_form.get_by_label(INTAKE_LABELS["employer_name"], exact=True)
    email = bart_form.get_by_label(INTAKE_LABELS["processor_email"], exact=True)
    expect(employer).to_have_value("Bakkerij Van Dam B.V.")
    expect(email).to_have_value("loket@salarisnoord.nl")
    typed = bart_form.locator("details").filter(has_text="Wat u had ingevuld (niet opgeslagen)")
    typed.get_by_text("Wat u had ingevuld (niet opgeslagen)").click()
    expect(typed).to_contain_text("pensioen@salarisnoord.nl")
    assert_same_document(second)
    axe_check(second, "detail: conflict")
    screenshot(second, "31-detail-conflict")
    with live_server.app_context():
        stored = db.session.get(Registration, registration.id)
        assert (stored.employer_name, stored.processor_email) == ("Bakkerij Van Dam B.V.", "loket@salarisnoord.nl")

    # With the current values in front of him, Bart makes his change again, and it is saved.
    email.fill("pensioen@salarisnoord.nl")
    bart_form.get_by_role("button", name="Opslaan").click()
    expect(saved_message(second)).to_have_text("Aanmeldgegevens opgeslagen.")
    expect(bart_form).to_contain_text("pensioen@salarisnoord.nl")
    expect(bart_form).to_contain_text("Bakkerij Van Dam B.V.")
    with live_server.app_context():
        stored = db.session.get(Registration, registration.id)
        assert (stored.employer_name, stored.processor_email) == ("Bakkerij Van Dam B.V.", "pensioen@salarisnoord.nl")
