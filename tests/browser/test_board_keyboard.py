"""Every control on the board can be reached with Tab and used with the keyboard, and no card
says anything with colour alone."""

import re

from playwright.sync_api import expect

from caseapp.board import service as board_service
from caseapp.dates import utcnow
from caseapp.extensions import db
from caseapp.models import Registration
from tests.browser.journeys import (
    assert_same_document,
    board_card,
    board_column,
    log_in,
    mark_document,
    press,
)

# The board's controls: what a mouse user can click, a keyboard user must be able to reach.
CONTROLS = "#main a[href], #main button, #main input, #main select, #main textarea, #main summary"


def update(live_server, registration_id: int, **values) -> None:
    with live_server.app_context():
        registration = db.session.get(Registration, registration_id)
        for name, value in values.items():
            setattr(registration, name, value)
        db.session.commit()


def tab_through_page(page, limit: int = 200) -> set[str]:
    """Press Tab from the top of the page until focus has gone round; the data-kb marks seen."""
    page.locator("body").focus()
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        mark = page.evaluate("() => document.activeElement && document.activeElement.getAttribute('data-kb')")
        if mark is not None and mark in seen and mark == seen[0]:
            break  # round and back at the first control
        if mark is not None:
            seen.append(mark)
    return set(seen)


def test_every_board_control_is_reachable_and_usable_with_the_keyboard(
    page, live_server, monkeypatch, axe_check, screenshot
):
    monkeypatch.setattr(board_service, "PAGE_SIZE", 2)  # so that a column has "meer laden"
    user = live_server.make_user("asr", name="Anna de Vries")
    oldest = live_server.make_registration(employer_name="Bakkerij Van Dam")
    update(live_server, oldest.id, assignee_id=user.id)
    second = live_server.make_registration(employer_name="Garage Jansen")
    third = live_server.make_registration(employer_name="Drukkerij De Vries")
    waiting = live_server.make_registration(step="policy", employer_name="Kapsalon Smit")
    update(live_server, waiting.id, waiting_since=utcnow(), waiting_reason="Rechten ontbreken")
    withdrawn = live_server.make_registration(step="policy", employer_name="Slagerij Bakker")
    update(live_server, withdrawn.id, withdrawn_at=utcnow(), withdrawn_reason="Dubbel aangemeld")

    log_in(page, user.email, user.password)
    expect(page).to_have_url(re.compile(r"/board$"))
    mark_document(page)

    # A filter with the keyboard: Space on a checkbox redraws the columns, focus stays put.
    show_withdrawn = page.get_by_role("checkbox", name="Ingetrokken tonen")
    press(page, show_withdrawn, key="Space")
    expect(page).to_have_url(re.compile(r"/board\?withdrawn=1$"))
    expect(board_card(page, withdrawn.reference)).to_be_visible()
    expect(show_withdrawn).to_be_focused()

    # Colour is never the only signal: the states a card shows by colour are also in words.
    expect(board_card(page, withdrawn.reference).get_by_role("list", name="Signalen")).to_have_text("Ingetrokken")
    waiting_signals = board_card(page, waiting.reference).get_by_role("list", name="Signalen")
    expect(waiting_signals).to_contain_text("Wacht op salarisverwerker")
    pending = board_card(page, second.reference).get_by_role("link", name=re.compile(r"^Naar Polisgegevens"))
    expect(pending).to_contain_text("nog 1 punt")
    expect(board_column(page, "Nieuw")).to_contain_text("Aan zet: a.s.r.")
    expect(board_column(page, "Inrichting Keylane")).to_contain_text("Aan zet: Keylane")
    expect(board_column(page, "Eerste uitwisseling geweest")).to_contain_text("Afgerond")
    axe_check(page, "board with withdrawn, waiting and more to load")

    # Every visible control is in the Tab order.
    controls = page.locator(CONTROLS).evaluate_all(
        """elements => elements.filter(el => el.checkVisibility()).map((el, index) => {
               el.setAttribute('data-kb', String(index));
               const name = el.getAttribute('aria-label') || el.innerText || el.name || '';
               return String(index) + ' ' + el.tagName.toLowerCase() + ' ' + name.trim().replace(/\\s+/g, ' ');
           })"""
    )
    assert len(controls) >= 15, controls
    reached = tab_through_page(page)
    missed = [control for control in controls if control.split(" ", 1)[0] not in reached]
    assert not missed, f"not reachable with Tab: {missed}"

    # "Meer laden" with the keyboard: the next card is added in place and gets focus.
    new_column = board_column(page, "Nieuw")
    expect(new_column.get_by_role("listitem").filter(has=page.get_by_role("heading"))).to_have_count(2)
    press(page, new_column.get_by_role("link", name=re.compile(r"^Meer laden")))
    loaded = board_card(page, third.reference).get_by_role("link", name=re.compile(rf"^{third.reference}"))
    expect(loaded).to_be_focused()
    expect(new_column.get_by_role("link", name=re.compile(r"^Meer laden"))).to_have_count(0)
    assert_same_document(page)
    screenshot(page, "50-board-more-loaded")

    # The one card that is ready moves with Enter on its button. It lands beyond the first page of
    # its new column, so focus goes to the column it left instead of being lost.
    press(page, board_card(page, oldest.reference).get_by_role("button", name=re.compile(r"^Naar Polisgegevens")))
    expect(page.locator("#board-status")).to_contain_text(f"{oldest.reference} staat nu in Polisgegevens.")
    expect(board_column(page, "Nieuw").get_by_role("heading", level=2)).to_be_focused()
    expect(board_column(page, "Polisgegevens")).to_contain_text("3 aanmeldingen")
    assert_same_document(page)
