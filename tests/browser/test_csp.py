"""The app's own strict CSP in Chromium: htmx keeps working and nothing is blocked.

Every watched page already fails on a CSP violation; these tests make sure the
policy under test is the app's own and that it is strict.
"""

import pytest

from tests.browser.journeys import add_director, fill_intake_field

pytestmark = pytest.mark.browser


def test_pages_carry_the_apps_strict_csp(live_server, page):
    response = page.goto(f"{live_server.url}/aanmelden")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_htmx_requests_work_under_the_csp(live_server, page):
    page.goto(f"{live_server.url}/aanmelden")
    add_director(page)  # an HTMX POST carrying the CSRF header
    fill_intake_field(page, "payroll_tax_number", "123456789L01")  # the inline check on change
    assert page.locator("#payroll_tax_number-error").is_visible()


def test_status_and_error_pages_load_under_the_csp(live_server, page, expect_status):
    registration = live_server.make_registration()
    page.goto(f"{live_server.url}{registration.status_path}")
    with expect_status(page, 404, "/bestaat-niet"):
        page.goto(f"{live_server.url}/bestaat-niet")
