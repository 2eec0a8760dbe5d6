"""The detail page in Chromium: saves one after another without a reload (app.js carries the new
version into the other forms), focus follows each change, a stale tab gets the 409 with the
current values, failed submits put focus on their errors, and axe finds nothing to fix.

Ported from the detail branch's own browser test onto the shared harness (its live server,
browser and watched pages)."""

import re
from datetime import timedelta

import sqlalchemy as sa
from playwright.sync_api import expect

from caseapp.dates import today_local
from caseapp.extensions import db
from caseapp.models import AuthorisationCheck, ContactLogEntry, Registration
from tests.browser.journeys import (
    INTAKE_LABELS,
    assert_same_document,
    detail_section,
    log_in,
    mark_document,
)


def open_detail(page, live_server, user, registration_id: int) -> None:
    log_in(page, user.email, user.password)
    expect(page).to_have_url(re.compile(r"/board$"))
    page.goto(f"/registrations/{registration_id}")
    expect(page.get_by_role("navigation", name="Kruimelpad")).to_be_visible()
    mark_document(page)


def stored(live_server, registration_id: int) -> tuple[int, int, int]:
    """(version, authorisation checks, contacts) as the database has them now."""
    with live_server.app_context():
        version = db.session.get(Registration, registration_id).version
        checks = db.session.scalar(sa.select(sa.func.count()).select_from(AuthorisationCheck))
        contacts = db.session.scalar(sa.select(sa.func.count()).select_from(ContactLogEntry))
        return version, checks, contacts


def tick(checks, label: str):
    checks.get_by_role("button", name=re.compile(rf"^Afvinken\s*: {re.escape(label)}$")).click()
    return checks.get_by_role("button", name=re.compile(rf"^Vinkje weghalen\s*: {re.escape(label)}$"))


def test_saves_follow_each_other_without_reload_and_a_stale_tab_gets_409(open_page, live_server, expect_status):
    registration = live_server.make_registration(step="setup")
    engineer = live_server.make_user("keylane", name="Kees Jansen")
    page = open_page()
    open_detail(page, live_server, engineer, registration.id)
    checks = detail_section(page, "Autorisatiecontroles")

    # Three ticks, a contact and the date, one after another, each saved in place.
    for label in ("Nieuwe standaardgebruiker in Loket.nl", "Alleen voor deze koppeling", "Gebruiker is actief"):
        expect(tick(checks, label)).to_be_focused()
    contacts = detail_section(page, "Contact met de salarisverwerker")
    contacts.get_by_text("Contact vastleggen", exact=True).first.click()
    contacts.get_by_label("Met wie").fill("Jan Pietersen")
    contacts.get_by_role("group", name="Hoe").get_by_label("telefoon").check()
    contacts.get_by_label("Samenvatting").fill("Rechten doorgelopen.")
    contacts.get_by_role("button", name="Contact vastleggen").click()
    expect(contacts.get_by_role("listitem").filter(has_text="Jan Pietersen")).to_be_focused()
    dates = detail_section(page, "Eerste uitwisseling")
    dates.get_by_label("Datum eerste uitwisseling").fill((today_local() + timedelta(days=14)).isoformat())
    dates.get_by_role("button", name="Opslaan").click()
    expect(page.locator("#registration-header")).to_contain_text("eerste uitwisseling")
    expect(dates.get_by_role("heading", name="Eerste uitwisseling")).to_be_focused()
    assert_same_document(page)

    # Every form on the page carries the version that is stored now, also the ones not re-sent.
    version, check_count, contact_count = stored(live_server, registration.id)
    expect(page.locator("input[name=version]")).not_to_have_count(0)
    assert set(page.locator("input[name=version]").evaluate_all("inputs => inputs.map(i => i.value)")) == {str(version)}
    assert (check_count, contact_count) == (3, 1)

    # A second tab saves first; this one is now behind.
    other = open_page()
    open_detail(other, live_server, engineer, registration.id)
    expect(tick(detail_section(other, "Autorisatiecontroles"), "Toegang tot de werkgever")).to_be_focused()

    with expect_status(page, 409, "/checks/right_bsn"):
        checks.get_by_role("button", name=re.compile(r"^Afvinken\s*: Beheren en raadplegen BSN$")).click()
    notice = checks.get_by_role("alert")
    expect(notice).to_contain_text("intussen gewijzigd")
    expect(notice).to_be_focused()
    untick = checks.get_by_role("button", name=re.compile(r"^Vinkje weghalen\s*: Toegang tot de werkgever$"))
    expect(untick).to_be_visible()  # the colleague's tick is shown
    version, check_count, _contacts = stored(live_server, registration.id)
    expect(checks.locator("input[name=version]").first).to_have_value(str(version))
    assert check_count == 4

    # And now it saves.
    expect(tick(checks, "Beheren en raadplegen BSN")).to_be_focused()
    assert stored(live_server, registration.id)[1] == 5
    assert_same_document(page)


def test_failed_submits_on_the_detail_page_put_focus_on_their_errors(
    page, live_server, expect_status, axe_check, screenshot
):
    registration = live_server.make_registration(step="policy", employer_name="Bakkerij Van Dam")
    user = live_server.make_user("asr", name="Anna de Vries")
    open_detail(page, live_server, user, registration.id)

    # The intake edit form: an error summary first, with links to the fields.
    intake = detail_section(page, "Aanmeldgegevens")
    intake.get_by_role("link", name=re.compile(r"^Wijzigen")).click()
    intake.get_by_label(INTAKE_LABELS["payroll_tax_number"], exact=True).fill("123456789L01")
    with expect_status(page, 422, "/intake"):
        intake.get_by_role("button", name="Opslaan").click()
    summary = intake.get_by_role("alert").filter(has_text="Er is een probleem")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name=re.compile("elfproef")).click()
    expect(intake.get_by_label(INTAKE_LABELS["payroll_tax_number"], exact=True)).to_be_focused()
    axe_check(page, "detail: intake with errors")
    screenshot(page, "40-detail-intake-errors")
    intake.get_by_role("link", name="Annuleren").click()
    expect(intake.get_by_role("button", name="Opslaan")).to_have_count(0)
    expect(intake.get_by_role("link", name=re.compile(r"^Wijzigen"))).to_be_focused()

    # A policy without its fields.
    policies = detail_section(page, "Polisgegevens")
    with expect_status(page, 422, "/policies"):
        policies.get_by_role("button", name="Polis toevoegen").click()
    problems = policies.get_by_role("alert")
    expect(problems).to_contain_text("Vul het polisnummer in.")
    expect(problems).to_be_focused()
    axe_check(page, "detail: policy with errors")

    # The way back without a reason.
    next_step = detail_section(page, "Wat is nodig om verder te gaan")
    next_step.get_by_text("Een stap terug naar ‘Nieuw’").click()
    with expect_status(page, 422, "/back"):
        next_step.get_by_role("button", name="Stap terug").click()
    refused = next_step.get_by_role("alert")
    expect(refused).to_contain_text("Geef een reden om een stap terug te gaan.")
    expect(refused).to_be_focused()
    axe_check(page, "detail: move back refused")
    assert_same_document(page)


def test_the_detail_page_has_no_axe_violations_in_any_state_it_opens_in(page, live_server, axe_check, screenshot):
    registration = live_server.make_registration(
        step="policy", contract_prefix_warning=True, contract_number="B77001234", directors=[("Jan de Boer", "101")]
    )
    admin = live_server.make_user("admin", name="Bea Beheer")
    log_in(page, admin.email, admin.password)
    expect(page).to_have_url(re.compile(r"/board$"))

    for path in ("", "/intake/edit"):
        page.goto(f"/registrations/{registration.id}{path}")
        expect(page.get_by_role("list", name="Aandachtspunten")).to_contain_text("Contractnummer begint niet met A020")
        axe_check(page, f"detail{path}")
    screenshot(page, "41-detail-intake-edit-page")


def test_waiting_and_withdrawal_redraw_in_place_with_focus_on_what_changed(page, live_server, axe_check, screenshot):
    registration = live_server.make_registration(employer_name="Bakkerij Van Dam")
    user = live_server.make_user("asr", name="Anna de Vries")
    open_detail(page, live_server, user, registration.id)
    signals = page.get_by_role("list", name="Aandachtspunten")

    # Waiting on the processor: the section and the header say so, in words.
    waiting = detail_section(page, "Wachten op de salarisverwerker")
    waiting.get_by_text("Verzoek aan de salarisverwerker", exact=True).first.click()
    waiting.get_by_label("Iets anders").check()
    waiting.get_by_label("Bericht aan de salarisverwerker").fill("Rechten ontbreken in Loket.nl")
    waiting.get_by_role("button", name="Verzoek versturen").click()
    expect(waiting.get_by_role("heading", name="Wachten op de salarisverwerker")).to_be_focused()
    expect(waiting).to_contain_text("Rechten ontbreken in Loket.nl")
    expect(signals).to_contain_text("Wacht op salarisverwerker")
    axe_check(page, "detail: waiting")
    waiting.get_by_role("button", name="Niet meer wachten").click()
    expect(waiting.get_by_role("heading", name="Wachten op de salarisverwerker")).to_be_focused()
    expect(signals).to_have_count(0)

    # Withdrawn: every section changes, so the whole detail is redrawn and focus goes to the top.
    withdrawal = detail_section(page, "Intrekken")
    withdrawal.get_by_text("Aanmelding intrekken", exact=True).click()
    withdrawal.get_by_label("Reden").fill("Dubbel aangemeld")
    withdrawal.get_by_role("button", name="Intrekken").click()
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    expect(signals).to_contain_text("Ingetrokken")
    expect(page.locator("#registration-header")).to_contain_text("Reden: Dubbel aangemeld")
    axe_check(page, "detail: withdrawn")
    screenshot(page, "42-detail-withdrawn")
    withdrawal.get_by_role("button", name="Heropenen").click()
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    expect(signals).to_have_count(0)
    assert_same_document(page)
