"""The strict CSP in a real Chromium: htmx keeps working and nothing is blocked."""

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.production.servers import free_port

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
# Collects CSP violations before any script of the page runs.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture()
def live_server(app):
    """The test app (CSRF on, as in production) served on a loopback port."""
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)
    server.server_close()


@pytest.fixture()
def page():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"no Chromium at {CHROMIUM} (REQUIRE_BROWSER=1)")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context()
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        page.console_errors, page.script_errors = [], []
        page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
        page.on("pageerror", lambda error: page.script_errors.append(str(error)))
        yield page
        context.close()
        browser.close()


def assert_nothing_blocked(page):
    assert page.evaluate("window.__cspViolations") == []
    assert [error for error in page.console_errors if "Content Security Policy" in error] == []
    assert page.script_errors == []


def test_htmx_works_under_the_csp_without_violations(live_server, page):
    page.goto(f"{live_server}/aanmelden")
    page.wait_for_function("window.htmx !== undefined")

    page.get_by_role("button", name="DGA toevoegen").click()  # an HTMX POST with the CSRF header
    page.locator("#directors-0-name").wait_for()

    page.fill("#payroll_tax_number", "123456789L01")
    page.locator("#payroll_tax_number").blur()  # inline check on change
    page.locator("#payroll_tax_number-error").wait_for()

    assert_nothing_blocked(page)


def test_the_status_page_and_an_error_page_load_without_violations(live_server, page, make_registration):
    _, token = make_registration()
    page.goto(f"{live_server}/status/{token}")
    page.wait_for_function("window.htmx !== undefined")
    assert_nothing_blocked(page)
    response = page.goto(f"{live_server}/bestaat-niet")
    assert response.status == 404
    assert_nothing_blocked(page)


def test_the_csp_blocks_inline_styles_and_scripts(live_server, page):
    """The other tests would notice: inline code is refused and recorded."""
    page.goto(f"{live_server}/aanmelden")
    page.evaluate("""() => {
        document.head.insertAdjacentHTML("beforeend", "<style>body { color: red }</style>");
        const script = document.createElement("script");
        script.textContent = "window.__inlineRan = true";
        document.head.appendChild(script);
    }""")
    page.wait_for_function("window.__cspViolations.length >= 2")
    assert page.evaluate("window.__inlineRan") is None
    assert sorted(page.evaluate("window.__cspViolations")) == ["script-src-elem inline", "style-src-elem inline"]
