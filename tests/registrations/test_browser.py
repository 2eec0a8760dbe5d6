"""The detail page in a real Chromium: HTMX saves one after another without a
reload (app.js carries the new version into the other forms), focus follows
the change, a stale tab gets the 409 with current values, and axe finds
nothing to fix. Skipped when Chromium or Playwright is missing, unless
REQUIRE_BROWSER=1."""

from __future__ import annotations

import os
import shutil
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.models import AuthorisationCheck, ContactLogEntry
from caseapp.workflow import today_local
from tests.conftest import ROOT
from tests.factories import PASSWORD
from tests.registrations.conftest import fresh

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.browser


@pytest.fixture()
def live_server(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture()
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - depends on the machine
        sync_playwright = None
    if sync_playwright is None or CHROMIUM is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but Playwright or Chromium is missing")
        pytest.skip("no Chromium/Playwright on this machine")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def logged_in_page(browser, base_url, user, **context_options):
    page = browser.new_context(viewport={"width": 1300, "height": 900}, **context_options).new_page()
    page.goto(f"{base_url}/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/board")
    return page


def test_saves_follow_each_other_without_reload_and_a_stale_tab_gets_409(live_server, browser, make_user,
                                                                         make_registration):
    registration, _token = make_registration(step="setup")
    rid = registration.id
    user = make_user("keylane", name="Kees Jansen")
    page = logged_in_page(browser, live_server, user)
    page.goto(f"{live_server}/registrations/{rid}")
    page.evaluate("window.samePage = true")

    # Three ticks, a contact and the date, one after another, each saved in place.
    for key in ("standard_user", "dedicated_user", "active_user"):
        page.click(f"#check-{key}-button")
        page.wait_for_selector(f"#check-{key}.check-row--done")
        assert page.evaluate("document.activeElement.id") == f"check-{key}-button"
    page.click("#contacts summary")
    page.fill("#contact-new-with_whom", "Jan Pietersen")
    page.check("#contact-new-channel-0")
    page.fill("#contact-new-summary", "Rechten doorgelopen.")
    page.click("#contacts form button[type=submit]")
    page.wait_for_selector("#contacts .contact")
    page.fill("#first_exchange_date", (today_local() + timedelta(days=14)).isoformat())
    page.click("#first-exchange-date button[type=submit]")
    page.wait_for_selector("#detail-status:has-text('Datum eerste uitwisseling')")
    assert page.evaluate("window.samePage") is True  # never reloaded
    versions = set(page.eval_on_selector_all("input[name=version]", "inputs => inputs.map(i => i.value)"))
    assert versions == {str(fresh(rid).version)}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthorisationCheck)) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactLogEntry)) == 1

    # A second tab saves first; this tab is now behind.
    other = page.context.new_page()
    other.goto(f"{live_server}/registrations/{rid}")
    other.click("#check-employer_access-button")
    other.wait_for_selector("#check-employer_access.check-row--done")

    page.click("#check-right_bsn-button")
    notice = page.wait_for_selector("#checks-notice")
    assert "intussen gewijzigd" in notice.inner_text()
    assert page.evaluate("document.activeElement.id") == "checks-notice"
    page.wait_for_selector("#check-employer_access.check-row--done")  # the current values are shown
    assert fresh(rid).version == int(page.input_value("#checks input[name=version] >> nth=0"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthorisationCheck)) == 4

    page.click("#check-right_bsn-button")  # and now it saves
    page.wait_for_selector("#check-right_bsn.check-row--done")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthorisationCheck)) == 5
    assert page.evaluate("window.samePage") is True


def test_the_detail_page_has_no_axe_violations(live_server, browser, make_user, make_registration):
    registration, _token = make_registration(step="policy", contract_prefix_warning=True,
                                             directors=[("Jan de Boer", "101")])
    user = make_user("admin", name="Bea Beheer")
    page = logged_in_page(browser, live_server, user, bypass_csp=True)
    axe = str(next((ROOT / "static" / "vendor").glob("axe-*.min.js"), ""))
    if not axe:
        pytest.skip("axe-core is not vendored (run scripts/vendor_assets.py)")
    for path in ("", "/intake/edit"):
        page.goto(f"{live_server}/registrations/{registration.id}{path}")
        page.add_script_tag(path=axe)
        violations = page.evaluate(
            "async () => (await axe.run(document, {runOnly: {type: 'tag', "
            "values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations"
        )
        assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == [], path
