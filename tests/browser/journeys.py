"""Steps a person takes in the browser, shared by the journeys (and phase 2's staff journeys).

Locators go through what people see: labels, roles and headings, not CSS ids. That way a test
also proves that every field has a working label and every section a name.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.factories import valid_intake_form

# Label of each intake text field, as the processor reads it.
INTAKE_LABELS = {
    "processor_name": "Bedrijfsnaam salarisverwerker",
    "processor_email": "E-mailadres salarisverwerker",
    "employer_name": "Bedrijfsnaam te koppelen werkgever",
    "contract_number": "Raamwerkcontractnummer",
    "payroll_tax_number": "Loonheffingennummer",
    "loket_employer_id": "Werkgever ID (Loket.nl)",
}
# Fields that HTMX checks on blur.
INLINE_CHECKED = {"contract_number", "payroll_tax_number", "loket_employer_id"}

# The valid text fields of tests/factories.valid_intake_form, in the order of INTAKE_LABELS.
VALID_INTAKE = {name: valid_intake_form()[name] for name in INTAKE_LABELS}
PROCESSOR_STEP_TITLES = [
    "Voorwaarden controleren",
    "Werkgever aanmelden bij a.s.r.",
    "Polisgegevens en inrichting",
    "Bevestiging en eerste uitwisseling",
]
REFERENCE = re.compile(r"AW-\d{4}-\d{5}")


def htmx_active(page: Page) -> bool:
    """True when the page runs JavaScript and htmx has loaded."""
    return bool(page.evaluate("() => typeof window.htmx === 'object'"))


def mark_document(page: Page) -> None:
    """Put a marker on window; it survives HTMX swaps and disappears on any page load."""
    page.evaluate("() => { window.__sameDocument = true; }")


def assert_same_document(page: Page) -> None:
    assert page.evaluate("() => window.__sameDocument === true"), "the page reloaded (expected an HTMX swap)"


def intake_field(page: Page, name: str):
    return page.get_by_label(INTAKE_LABELS[name], exact=True)


def fill_intake_field(page: Page, name: str, value: str) -> None:
    """Type a value and leave the field, as a person would. With htmx, wait for its inline check
    (so the value must differ from the one in the field: an unchanged field sends no check)."""
    field = intake_field(page, name)
    if name in INLINE_CHECKED and htmx_active(page):
        # The check answers with the field's whole group (value normalised): mark the old input
        # and wait until it has been replaced.
        field.evaluate("input => input.setAttribute('data-before-check', '')")
        with page.expect_response(lambda r: f"/aanmelden/controle/{name}" in r.url):
            field.fill(value)
            field.press("Tab")
        expect(page.locator(f"[name={name}][data-before-check]")).to_have_count(0)
    else:
        field.fill(value)


def choose(page: Page, question: str, answer: str) -> None:
    page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


def tick_all_prerequisites(page: Page) -> int:
    boxes = page.get_by_role("region", name="Voorwaarden in Loket.nl").get_by_role("checkbox")
    for index in range(boxes.count()):
        boxes.nth(index).check()
    return boxes.count()


def fill_intake(page: Page, **overrides: str) -> None:
    """Fill the whole intake with valid values (override any text field by name)."""
    values = {**VALID_INTAKE, **overrides}
    for name in INTAKE_LABELS:
        fill_intake_field(page, name, values[name])
    choose(page, "Verloningsfrequentie", "Per maand")
    choose(page, "Wordt er een 13e maand uitbetaald?", "Nee")
    tick_all_prerequisites(page)


def director_rows(page: Page):
    return page.get_by_role("region", name="Directeur-grootaandeelhouders (DGA)").get_by_role("listitem")


def director_row(page: Page, number: int):
    """The DGA row whose legend is 'DGA <number>' (1-based, as on the page)."""
    return page.get_by_role("group", name=f"DGA {number}", exact=True)


def add_director(page: Page, name: str = "", personnel_number: str = "") -> None:
    """Press '(Nog een) DGA toevoegen' and fill the new row; works with and without JavaScript."""
    before = director_rows(page).count()
    page.get_by_role("button", name=re.compile(r"DGA toevoegen$")).click()
    expect(director_rows(page)).to_have_count(before + 1)
    row = director_row(page, before + 1)
    expect(row.get_by_label("Naam")).to_be_focused()
    if name:
        row.get_by_label("Naam").fill(name)
    if personnel_number:
        row.get_by_label("Personeelsnummer").fill(personnel_number)


def remove_director(page: Page, number: int) -> None:
    before = director_rows(page).count()
    page.get_by_role("button", name=f"Verwijderen DGA {number}", exact=True).click()
    expect(director_rows(page)).to_have_count(before - 1)


def submit_intake(page: Page) -> None:
    """Press the form's button: on to the check page (or back with errors)."""
    page.get_by_role("button", name="Doorgaan").click()


def on_check_page(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/aanmelden/controleren$"))
    expect(page).to_have_title(re.compile(r"^Controleer uw gegevens"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Controleer uw gegevens")


def answer(page: Page, key: str):
    """The value of one answer on the check page, by its key (the question or label)."""
    return page.locator(".summary-list__row").filter(has=page.get_by_text(key, exact=True)).locator("dd").first


def change_answer(page: Page, key: str) -> None:
    """Follow an answer's "wijzigen" link (its hidden text names the answer) back to the form."""
    page.get_by_role("link", name=f"wijzigen {key}", exact=True).click()
    expect(page).to_have_url(re.compile(r"/aanmelden#"))


def send_checked(page: Page) -> None:
    """On the check page: "Aanmelding versturen", the one button that stores the registration."""
    on_check_page(page)
    page.get_by_role("button", name="Aanmelding versturen").click()


def confirmation_reference(page: Page) -> str:
    """On the confirmation page: the reference shown to the processor."""
    expect(page).to_have_url(re.compile(r"/aanmelden/bevestiging$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelding ontvangen")
    text = page.locator(".reference").inner_text()
    assert REFERENCE.fullmatch(text.strip()), text
    return text.strip()


def follow_status_link(page: Page) -> None:
    page.get_by_role("link").filter(has_text="/status/").click()
    expect(page).to_have_url(re.compile(r"/status/[A-Za-z0-9_-]{40,}$"))


def log_in(page: Page, email: str, password: str) -> None:
    """Log in on /login; the caller asserts where it lands."""
    page.goto("/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()


# --- Staff: the keyboard, the board and the detail page --------------------------------------

# Enough Tab presses to cross the densest page (the detail page has about 70 stops); bounded so
# that a control the keyboard cannot reach fails the test instead of hanging it.
TAB_LIMIT = 150


def focused(page: Page) -> str:
    """The focused element, described for a failure message."""
    return page.evaluate(
        """() => { const el = document.activeElement;
            if (!el || el === document.body) return "nothing (the page itself)";
            const text = (el.innerText || el.value || "").trim().slice(0, 60);
            return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " '" + text + "'"; }"""
    )


def is_focused(locator) -> bool:
    return bool(locator.evaluate("el => el === document.activeElement"))


def tab_to(page: Page, target, *, backwards: bool = False, limit: int = TAB_LIMIT) -> int:
    """Press Tab (or Shift+Tab) until `target` has focus, as a keyboard user would; returns the
    number of presses. Fails when the target is not reached: it is not operable by keyboard."""
    expect(target).to_be_visible()
    if is_focused(target):
        return 0
    key = "Shift+Tab" if backwards else "Tab"
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if is_focused(target):
            return presses
    raise AssertionError(f"{limit} x {key} never reached the control; focus ended on {focused(page)}")


def press(page: Page, target, key: str = "Enter") -> None:
    """Reach `target` with Tab and press Enter (or Space) on it."""
    tab_to(page, target)
    page.keyboard.press(key)


def board_column(page: Page, label: str):
    """A board column by its visible title (the region is named by title and count)."""
    return page.get_by_role("region", name=re.compile(rf"^{re.escape(label)} \d"))


def board_card(page: Page, reference: str):
    """The card of one registration, found by the reference in its heading."""
    return page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=re.compile(re.escape(reference))))


def detail_section(page: Page, title: str):
    """A section of the detail page by its heading (counts after the title are allowed)."""
    return page.get_by_role("region", name=re.compile(rf"^{re.escape(title)}(\s|$)"))


def saved_message(page: Page):
    """The short 'saved' message of the detail page (a live region)."""
    return page.locator("#detail-status")
