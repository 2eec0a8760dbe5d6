"""A staff member logs in: a wrong password is refused with a clear message, the right one gets in."""

import re

from playwright.sync_api import expect

from tests.browser.journeys import log_in


def test_staff_member_logs_in_after_a_wrong_password(page, live_server, expect_status, axe_check, screenshot):
    user = live_server.make_user("asr", name="Anna de Vries")

    page.goto("/login")
    expect(page).to_have_title(re.compile(r"^Inloggen"))
    axe_check(page, "login")
    screenshot(page, "06-login")

    with expect_status(page, 422, "/login"):
        log_in(page, user.email, "niet-het-wachtwoord")
    expect(page).to_have_title(re.compile(r"^Fout: Inloggen"))
    summary = page.get_by_role("alert").filter(has_text="Inloggen lukt niet")
    expect(summary).to_contain_text("Het e-mailadres of het wachtwoord klopt niet")
    expect(summary).to_be_focused()
    expect(page.get_by_label("E-mailadres")).to_have_value(user.email)
    expect(page.get_by_label("Wachtwoord")).to_have_value("")
    axe_check(page, "login failed")
    screenshot(page, "07-login-failed")

    page.get_by_label("Wachtwoord").fill(user.password)
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(re.compile(r"/board$"))
    navigation = page.get_by_role("navigation", name="Hoofdmenu")
    expect(navigation).to_contain_text("Anna de Vries")

    navigation.get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(re.compile(r"/login\?logged_out=1$"))
    expect(page.get_by_role("status")).to_have_text("U bent uitgelogd.")
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_have_count(0)


def test_login_without_javascript(js_off_page, live_server, expect_status):
    user = live_server.make_user("keylane")
    with expect_status(js_off_page, 422, "/login"):
        log_in(js_off_page, user.email, "")
    expect(js_off_page.get_by_role("alert")).to_contain_text("Vul uw wachtwoord in.")
    js_off_page.get_by_label("Wachtwoord").fill(user.password)
    js_off_page.get_by_role("button", name="Inloggen").click()
    expect(js_off_page).to_have_url(re.compile(r"/board$"))
