"""An a.s.r. employee finds a new registration on the board, takes it, completes it and moves it
on to Keylane. Everything after logging in is done with the keyboard, except typing into fields."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from caseapp.dates import today_local, utcnow
from caseapp.extensions import db
from caseapp.models import Registration, User
from caseapp.registrations import service
from tests.browser.journeys import (
    assert_same_document,
    board_card,
    board_column,
    detail_section,
    log_in,
    mark_document,
    press,
    saved_message,
    tab_to,
)


def mark_waiting_and_duplicate(live_server, registration_id: int, reason: str) -> None:
    with live_server.app_context():
        registration = db.session.get(Registration, registration_id)
        registration.waiting_reason = reason
        registration.waiting_since = utcnow()
        registration.possible_duplicate = True
        db.session.commit()


def log_contact_to_follow_up(live_server, registration_id: int, author_id: int) -> None:
    """A phone call two days ago, to be followed up today: it shows under 'Opvolgen' on /my."""
    with live_server.app_context():
        registration = db.session.get(Registration, registration_id)
        service.add_contact(
            registration,
            db.session.get(User, author_id),
            dict(occurred_at=utcnow() - timedelta(days=2), channel="phone", with_whom="Jan Smit",
                 summary="Rechten aangevraagd bij de Loket.nl-helpdesk.", follow_up_date=today_local()),
            None,
        )
        db.session.commit()


def stored_step(live_server, registration_id: int) -> str:
    with live_server.app_context():
        return db.session.get(Registration, registration_id).step


def test_asr_employee_takes_a_registration_and_moves_it_on_with_the_keyboard(
    page, live_server, expect_status, axe_check, screenshot
):
    user = live_server.make_user("asr", name="Anna de Vries")
    target = live_server.make_registration(employer_name="Bakkerij Van Dam")
    garage = live_server.make_registration(employer_name="Garage Jansen", directors=[("Jan Jansen", "7")])
    live_server.make_registration(
        employer_name="Drukkerij De Vries", contract_number="B77001234", contract_prefix_warning=True
    )
    waiting = live_server.make_registration(step="policy", employer_name="Kapsalon Smit")
    mark_waiting_and_duplicate(live_server, waiting.id, "Rechten ontbreken in Loket.nl")
    log_contact_to_follow_up(live_server, waiting.id, user.id)
    live_server.make_registration(step="setup", employer_name="Installatiebedrijf Peters")

    log_in(page, user.email, user.password)
    expect(page).to_have_url(re.compile(r"/board$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Overzicht")
    expect(board_column(page, "Nieuw")).to_contain_text("3 aanmeldingen")
    expect(board_card(page, target.reference)).to_be_visible()

    # Colour is never the only signal: every badge on a card says what it means in words.
    signals = board_card(page, waiting.reference).get_by_role("list", name="Signalen")
    expect(signals.get_by_role("listitem")).to_have_text(["Mogelijk dubbel", "Wacht op salarisverwerker"])
    expect(board_card(page, waiting.reference)).to_contain_text("Rechten ontbreken in Loket.nl")
    for badges in page.get_by_role("list", name="Signalen").all():
        for badge in badges.get_by_role("listitem").all():
            assert badge.inner_text().strip(), "a badge without text: colour alone says nothing"
    axe_check(page, "board")
    screenshot(page, "10-board")

    # Active search: typing narrows the board in place, and the URL can be shared.
    mark_document(page)
    search = page.get_by_role("searchbox", name="Zoeken")
    search.press_sequentially("van dam")
    expect(page).to_have_url(re.compile(r"/board\?q=van\+dam$"))
    expect(page.locator("#board-summary")).to_contain_text("1 aanmelding die aan de filters voldoen")
    expect(page.locator("[data-card]")).to_have_count(1)
    expect(board_card(page, target.reference)).to_be_visible()
    expect(page.locator("#board-live")).to_have_text("1 aanmelding die aan de filters voldoen")
    expect(search).to_be_focused()
    assert_same_document(page)
    axe_check(page, "board filtered")
    screenshot(page, "11-board-filtered")

    # Open it from the board with the keyboard.
    card_link = board_card(page, target.reference).get_by_role("link", name=re.compile(rf"^{target.reference}"))
    press(page, card_link)
    expect(page).to_have_url(re.compile(rf"/registrations/{target.id}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bakkerij Van Dam")
    expect(detail_section(page, "Wat is nodig om verder te gaan")).to_contain_text(
        "Iemand moet de aanmelding eerst oppakken"
    )
    axe_check(page, "detail")
    screenshot(page, "12-detail")
    mark_document(page)

    # Take it: the assignment section is swapped and focus lands on its heading.
    assignment = detail_section(page, "Toegewezen aan")
    press(page, assignment.get_by_role("button", name="Zelf oppakken"))
    expect(assignment).to_contain_text("Anna de Vries")
    expect(assignment.get_by_role("heading", name="Toegewezen aan")).to_be_focused()
    expect(saved_message(page)).to_have_text("Toegewezen aan Anna de Vries.")
    expect(page.locator("#registration-header")).to_contain_text("toegewezen aan Anna de Vries")
    axe_check(page, "detail: assigned")
    screenshot(page, "13-detail-assigned")

    # Intake data checked: the button changes in place and keeps focus.
    intake = detail_section(page, "Aanmeldgegevens")
    press(page, intake.get_by_role("button", name="Markeer als gecontroleerd"), key="Space")
    expect(intake).to_contain_text("Aanmeldgegevens zijn gecontroleerd door a.s.r.")
    expect(intake.get_by_role("button", name="Controle ongedaan maken")).to_be_focused()
    axe_check(page, "detail: intake checked")
    screenshot(page, "14-detail-intake-checked")

    # Policy data: the form opens from its disclosure; the new record gets focus.
    policies = detail_section(page, "Polisgegevens")
    press(page, policies.get_by_text("Polis toevoegen", exact=True).first)
    policies.get_by_label("Polisnummer").fill("PN-2026-0042")
    policies.get_by_label("Regeling / product").fill("a.s.r. Werknemerspensioen")
    policies.get_by_label("Ingangsdatum").fill(date(2026, 1, 1).isoformat())
    press(page, policies.get_by_role("button", name="Polis toevoegen"))
    record = policies.get_by_role("listitem").filter(has_text="PN-2026-0042")
    expect(record).to_contain_text("a.s.r. Werknemerspensioen")
    expect(record).to_be_focused()
    expect(saved_message(page)).to_have_text("Polis PN-2026-0042 toegevoegd.")
    next_step = detail_section(page, "Wat is nodig om verder te gaan")
    expect(next_step).to_contain_text("Alles is klaar voor ‘Polisgegevens’.")
    assert_same_document(page)
    axe_check(page, "detail: policy added")
    screenshot(page, "15-detail-policy-added")

    # Back to the board, and move it on twice with the keyboard only.
    press(page, page.get_by_role("navigation", name="Kruimelpad").get_by_role("link", name="Overzicht"))
    expect(page).to_have_url(re.compile(r"/board$"))
    mark_document(page)
    card = board_card(page, target.reference)
    press(page, card.get_by_role("button", name=re.compile(r"^Naar Polisgegevens")))
    moved = board_column(page, "Polisgegevens").get_by_role("link", name=re.compile(rf"^{target.reference}"))
    expect(moved).to_be_focused()
    expect(page.locator("#board-status")).to_contain_text(f"{target.reference} staat nu in Polisgegevens.")
    expect(board_column(page, "Nieuw")).to_contain_text("2 aanmeldingen")

    # A move that still needs something opens a panel on the card that says what, focused on its
    # title; Escape closes it and gives focus back to the control that opened it.
    pending = board_card(page, garage.reference).get_by_role("link", name=re.compile(r"^Naar Polisgegevens"))
    press(page, pending)
    panel = board_card(page, garage.reference).locator(".card__panel")
    expect(panel).to_contain_text("Iemand moet de aanmelding eerst oppakken (toewijzen).")
    expect(panel.get_by_text("Naar Polisgegevens", exact=True)).to_be_focused()
    axe_check(page, "board: move panel open")
    screenshot(page, "16-board-move-panel")
    page.keyboard.press("Escape")
    expect(panel).to_be_empty()
    expect(pending).to_be_focused()

    # The same for a card that waits on the processor, closed with "Annuleren".
    stuck = board_card(page, waiting.reference).get_by_role("link", name=re.compile(r"^Naar Inrichting Keylane"))
    press(page, stuck)
    panel = board_card(page, waiting.reference).locator(".card__panel")
    expect(panel).to_contain_text("Deze aanmelding wacht op de salarisverwerker: Rechten ontbreken in Loket.nl.")
    expect(panel.get_by_text("Naar Inrichting Keylane", exact=True)).to_be_focused()
    press(page, panel.get_by_role("link", name="Annuleren"))
    expect(panel).to_be_empty()
    expect(stuck).to_be_focused()

    # The way back needs a reason: focus starts in the field; sent without one, the refusal is
    # shown on the card and gets focus.
    back = board_card(page, target.reference).get_by_role("link", name=re.compile(r"^Terug"))
    press(page, back)
    panel = board_card(page, target.reference).locator(".card__panel")
    expect(panel.get_by_label(re.compile(r"^Waarom gaat .* terug naar Nieuw"))).to_be_focused()
    with expect_status(page, 422, "/board/move"):
        press(page, panel.get_by_role("button", name="Terug naar Nieuw"))
    refusal = board_card(page, target.reference).locator(".card__message")
    expect(refusal).to_contain_text("Niet verplaatst: Geef een reden om een stap terug te gaan.")
    expect(refusal).to_be_focused()
    axe_check(page, "board: move refused")
    press(page, panel.get_by_role("link", name="Annuleren"), key="Enter")
    expect(panel).to_be_empty()
    expect(refusal).to_be_empty()
    expect(back).to_be_focused()

    forward = board_card(page, target.reference).get_by_role("button", name=re.compile(r"^Naar Inrichting Keylane"))
    tab_to(page, forward)
    page.keyboard.press("Space")
    moved = board_column(page, "Inrichting Keylane").get_by_role("link", name=re.compile(rf"^{target.reference}"))
    expect(moved).to_be_focused()
    expect(page.locator("#board-status")).to_contain_text(f"{target.reference} staat nu in Inrichting Keylane.")
    assert_same_document(page)
    assert stored_step(live_server, target.id) == "setup"
    axe_check(page, "board: moved")
    screenshot(page, "17-board-moved")

    # Her own work and the dashboard, through the menu above the board.
    tab_to(page, page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Mijn werk"), backwards=True)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn werk")
    follow_up = page.get_by_role("region", name="Opvolgen")
    expect(follow_up.get_by_role("row").filter(has_text=waiting.reference)).to_contain_text("Opvolgdatum")
    axe_check(page, "my work")
    screenshot(page, "18-my-work")
    press(page, page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Dashboard"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    axe_check(page, "dashboard")
    screenshot(page, "19-dashboard")
