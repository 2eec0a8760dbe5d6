"""The processor withdraws the registration on the status page without JavaScript (and axe, with it): a reason
refused when empty, "Weet u het zeker?", then withdrawn; both mails go out (screenshots 7x)."""

import re

from playwright.sync_api import expect

from caseapp.outbox import sender


def test_the_processor_withdraws_on_the_status_page_without_javascript(
    js_off_page, live_server, smtp, expect_status, screenshot
):
    registration = live_server.make_registration(step="policy", employer_name="Bakkerij Van Dam",
                                                 processor_email="loket@bureau.nl")
    with live_server.app_context():
        sender.send_due()  # the mails of the submission
    smtp.wait_for(2)
    smtp.clear()

    page = js_off_page
    page.goto(registration.status_path)
    withdrawal = page.get_by_role("region", name="Aanmelding intrekken")
    expect(withdrawal).to_be_visible()
    screenshot(page, "70-status-withdrawal-form")

    # No reason: refused, the error summary links to the field.
    with expect_status(page, 422, "/intrekken"):
        withdrawal.get_by_role("button", name="Aanmelding intrekken").click()
    expect(page).to_have_title(re.compile(r"^Fout:"))
    expect(page.locator("#error-summary")).to_contain_text("Geef een reden voor het intrekken.")
    screenshot(page, "71-status-withdrawal-refused")

    page.get_by_label("Waarom trekt u de aanmelding in?").fill("De werkgever is dubbel aangemeld.")
    page.get_by_role("button", name="Aanmelding intrekken").click()
    expect(page.get_by_role("heading", name="Weet u het zeker?")).to_be_visible()
    expect(page.get_by_text("De werkgever is dubbel aangemeld.")).to_be_visible()
    screenshot(page, "72-withdrawal-confirm")

    page.get_by_role("button", name="Ja, aanmelding intrekken").click()
    expect(page).to_have_url(re.compile(r"/status/[A-Za-z0-9_-]+$"))
    expect(page.get_by_text("Uw aanmelding is ingetrokken.")).to_be_visible()
    expect(page.get_by_role("heading", name="Deze aanmelding is ingetrokken")).to_be_visible()
    expect(page.get_by_role("button", name="Aanmelding intrekken")).to_have_count(0)
    screenshot(page, "73-status-withdrawn")

    with live_server.app_context():
        sender.send_due()
    mails = smtp.wait_for(2)
    recipients = sorted(address for mail in mails for address in mail.rcpt_tos)
    assert recipients == sorted(["loket@bureau.nl", live_server.app.config["ASR_INTAKE_MAILBOX"]])


def test_the_withdrawal_form_and_its_confirmation_pass_axe(page, live_server, expect_status, axe_check, screenshot):
    """axe needs JavaScript: the same pages, with it on."""
    registration = live_server.make_registration(step="setup", employer_name="Bakkerij Van Dam")
    page.goto(registration.status_path)
    axe_check(page, "status: with the withdrawal form")
    with expect_status(page, 422, "/intrekken"):
        page.get_by_role("button", name="Aanmelding intrekken").click()
    expect(page.locator("#error-summary")).to_contain_text("Geef een reden voor het intrekken.")
    axe_check(page, "status: withdrawal refused")
    page.get_by_label("Waarom trekt u de aanmelding in?").fill("De werkgever stopt.")
    page.get_by_role("button", name="Aanmelding intrekken").click()
    expect(page.get_by_role("heading", name="Weet u het zeker?")).to_be_visible()
    axe_check(page, "withdrawal: are you sure")
    page.get_by_role("link", name="Nee, terug naar de status").click()
    expect(page.get_by_role("region", name="Aanmelding intrekken")).to_be_visible()
