"""Browser tests: the real app on a loopback port, a real SMTP server, Debian's Chromium.

Fixtures and helpers (phase 2 builds the staff journeys on these):

live_server      the running app (served once per session; tables emptied after every test):
                 .url, .app, .smtp, .app_context() (use its database from the test),
                 .make_user(role, ...) -> StaffUser(id, email, name, role, password),
                 .make_registration(step=None, **fields) -> SeededRegistration(id, reference,
                 employer_name, token, status_path)
smtp             the SMTP server the app sends to (MAIL_SERVER/MAIL_PORT, sending not suppressed):
                 .messages, .wait_for(count, timeout) -> [ReceivedMail(mail_from, rcpt_tos,
                 message, subject, text)], .clear(); empty at the start of every test.
                 Mail queued in the outbox (issue 4) reaches it once the outbox is sent, e.g.
                 `with live_server.app_context(): caseapp.outbox.sender.send_due()`
open_page        factory: open_page(java_script_enabled=True, **context_options) -> a watched Page
                 in a new browser context: a separate browser session with its own cookies
                 (two staff members at once: call it twice)
page             a watched Page with JavaScript on; js_off_page: the same with JavaScript off
expect_status    with expect_status(page, 422, "/aanmelden"): <step> -- the step must get a
                 response with that status, and Chromium's "Failed to load resource ... status
                 of 422" for it is allowed (any other console error still fails the test)
axe_check        axe_check(page, name): axe-core (WCAG 2.0/2.1/2.2 A and AA, pinned in
                 package.json) must find no violation, at desktop and at phone width, and
                 nothing may need sideways scrolling at 320 px (WCAG 1.4.10, which axe skips)
screenshot       screenshot(page, name): <name>--desktop.png (1280 px) and <name>--phone.png
                 (390 px), full page, into SCREENSHOT_DIR (default test-artifacts/screenshots/)

Steps a person takes (fill the intake, add a DGA, log in, ...) are in tests/browser/journeys.py.

A watched page fails its test on any console error, uncaught page error or CSP violation; the
app sends its own strict Content-Security-Policy (caseapp/security.py), so every journey proves
the pages under it. The tests skip with a message when Chromium (or
the vendored front-end assets) is missing, unless REQUIRE_BROWSER=1 (set by .ci/run), which
turns the skip into a failure. Cookies, CSRF tokens and rate limits: CSRF is on (a real browser
carries real tokens), rate limits are off.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Callable, Iterator

import pytest

from caseapp import create_app
from caseapp.config import TestConfig
from caseapp.extensions import db
from tests.conftest import create_throwaway_database, drop_database
from tests.factories import PASSWORD, registration_from_intake

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VENDOR_MANIFEST = ROOT / "static" / "vendor" / "manifest.json"
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR") or ROOT / "test-artifacts" / "screenshots")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
REFLOW = {"width": 320, "height": 640}  # WCAG 1.4.10: 320 CSS px without scrolling sideways

# Bounded waits: generous, because the machine has two cores shared with other test runs.
ACTION_TIMEOUT_MS = 15_000
NAVIGATION_TIMEOUT_MS = 30_000
EXPECT_TIMEOUT_MS = 10_000
SMTP_WAIT_SECONDS = 15

# Until caseapp/security.py sends its own Content-Security-Policy, the browser app sends this one
# so that the pages are already proven to work under a strict policy. A response that carries a
# policy of its own keeps it.
# Runs before any page script: reports CSP violations to Python as they happen.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  var report = {
    directive: event.effectiveDirective || event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample
  };
  window.__cspViolations.push(report);
  if (window.__reportCspViolation) { window.__reportCspViolation(report); }
}, true);
"""


# --- Is there a browser? -----------------------------------------------------------------------


def chromium_executable() -> str | None:
    """CHROMIUM_PATH, Debian's /usr/bin/chromium, or a chromium on PATH."""
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _missing_prerequisite() -> str | None:
    if chromium_executable() is None:
        return (
            "no Chromium found (looked at $CHROMIUM_PATH, /usr/bin/chromium and PATH); "
            "install it with `apt-get install chromium` to run the browser tests"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed: `pip install -e '.[test]'`"
    manifest = json.loads(VENDOR_MANIFEST.read_text()) if VENDOR_MANIFEST.exists() else {}
    if "htmx.org" not in manifest or not AXE_JS.exists():
        return "front-end assets missing: run `npm ci && python scripts/vendor_assets.py` (or `make setup`)"
    return None


def _browser_required() -> bool:
    return os.environ.get("REQUIRE_BROWSER", "").strip().lower() in {"1", "true", "yes", "on"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if item.get_closest_marker("browser") is None:
        return
    missing = _missing_prerequisite()
    if missing is None:
        return
    if _browser_required():
        pytest.fail(f"REQUIRE_BROWSER=1 but {missing}", pytrace=False)
    pytest.skip(f"browser test skipped: {missing}")


# --- SMTP ------------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


class MailCatcher:
    """aiosmtpd handler that keeps every message it is sent."""

    def __init__(self) -> None:
        self._messages: list[ReceivedMail] = []
        self._arrived = threading.Condition()
        self.host = "127.0.0.1"
        self.port = 0

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        received = ReceivedMail(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            message=message_from_bytes(envelope.content, policy=policy.default),
        )
        with self._arrived:
            self._messages.append(received)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._arrived:
            return list(self._messages)

    def clear(self) -> None:
        with self._arrived:
            self._messages.clear()

    def wait_for(self, count: int = 1, timeout: float = SMTP_WAIT_SECONDS) -> list[ReceivedMail]:
        """Block until at least `count` messages arrived; fail after `timeout` seconds."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self._messages) >= count, timeout=timeout):
                pytest.fail(f"expected {count} e-mail(s) within {timeout}s, got {len(self._messages)}")
            return list(self._messages)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[MailCatcher]:
    from aiosmtpd.controller import Controller

    catcher = MailCatcher()
    catcher.port = free_port()
    controller = Controller(catcher, hostname=catcher.host, port=catcher.port, ready_timeout=10)
    controller.start()
    try:
        yield catcher
    finally:
        controller.stop()


@pytest.fixture()
def smtp(live_server) -> MailCatcher:
    """The SMTP server the live app sends to; empty at the start of each test."""
    return live_server.smtp


# --- The live app ------------------------------------------------------------------------------


@dataclass
class StaffUser:
    id: int
    email: str
    name: str
    role: str
    password: str


@dataclass
class SeededRegistration:
    id: int
    reference: str
    employer_name: str
    token: str
    status_path: str


@dataclass
class LiveServer:
    url: str
    app: object
    smtp: MailCatcher
    _counter: Iterator[int] = field(default_factory=lambda: iter(range(1, 1_000_000)))

    @contextmanager
    def app_context(self):
        """Use the live app's database from the test (commit what the browser should see)."""
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()

    def make_user(self, role: str = "asr", email: str | None = None, name: str | None = None,
                  password: str = PASSWORD, active: bool = True) -> StaffUser:
        """A staff account in the live database; log in with .email and .password."""
        from caseapp.auth.passwords import hash_password
        from caseapp.models import User

        n = next(self._counter)
        with self.app_context():
            user = User(
                email=email or f"{role}{n}@example.nl",
                name=name or f"{role.capitalize()} Medewerker {n}",
                role=role,
                active=active,
                password_hash=hash_password(password),
            )
            db.session.add(user)
            db.session.commit()
            return StaffUser(user.id, user.email, user.name, user.role, password)

    def make_registration(self, step: str | None = None, **overrides) -> SeededRegistration:
        """A registration made through the intake service (as if a processor submitted it)."""
        with self.app_context():
            registration, token = registration_from_intake(step=step, **overrides)
            return SeededRegistration(
                registration.id, registration.reference, registration.employer_name, token, f"/status/{token}"
            )

    def empty_database(self) -> None:
        with self.app.app_context():
            db.session.remove()
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(table.delete())


@pytest.fixture(scope="session")
def _live_database_url(tmp_path_factory) -> Iterator[str]:
    """A database of its own for the browser app (the unit tests keep theirs)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url = create_throwaway_database(base)
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("browser-db") / "live.sqlite")
    try:
        yield url
    finally:
        if base:
            drop_database(url)


def browser_app_config(database_url: str, smtp: MailCatcher) -> dict:
    """The real app's settings, with CSRF on (real tokens), rate limits off, mail to `smtp`."""
    return {
        "TESTING": False,  # the real app: errors become error pages, not exceptions in the test
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": True,  # a real browser carries real tokens
        "RATELIMIT_ENABLED": False,
        "MAIL_SERVER": smtp.host,
        "MAIL_PORT": smtp.port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_TIMEOUT": 10,
    }


@pytest.fixture(scope="session")
def _live_server(_live_database_url, _smtp_server, tmp_path_factory) -> Iterator[LiveServer]:
    from werkzeug.serving import make_server

    instance_path = str(tmp_path_factory.mktemp("browser-instance"))
    app = create_app(browser_app_config(_live_database_url, _smtp_server), config_class=TestConfig)
    app.instance_path = instance_path
    with app.app_context():
        db.create_all()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=app, smtp=_smtp_server)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture()
def live_server(_live_server) -> Iterator[LiveServer]:
    """The running app; every test starts with an empty database and an empty SMTP inbox."""
    _live_server.smtp.clear()
    yield _live_server
    _live_server.empty_database()


# --- Chromium and watched pages ----------------------------------------------------------------


@pytest.fixture(scope="session")
def _playwright():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def _chromium(_playwright):
    browser = _playwright.chromium.launch(
        executable_path=chromium_executable(), args=CHROMIUM_ARGS, timeout=60_000
    )
    yield browser
    browser.close()


_FAILED_STATUS = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")


class PageWatch:
    """Collects what must not happen on a page: console errors, page errors, CSP violations."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: list[str] = []
        # (status, part of the URL) of responses a step expects: Chromium's "Failed to load
        # resource" console error for each of them is not a problem.
        self.allowed: list[tuple[int, str]] = []

    def on_console(self, message) -> None:
        if message.type != "error":
            return
        text = message.text
        url = (message.location or {}).get("url", "")
        match = _FAILED_STATUS.match(text)
        if match:
            for allowed in self.allowed:
                status, url_contains = allowed
                if status == int(match.group(1)) and url_contains in url:
                    self.allowed.remove(allowed)  # each expected response excuses one message
                    return
        self.problems.append(f"[{self.label}] console error: {text} ({url})")

    def on_page_error(self, error) -> None:
        self.problems.append(f"[{self.label}] uncaught error: {error}")

    def on_csp_violation(self, _source, report) -> None:
        self.problems.append(f"[{self.label}] CSP violation: {report}")


_WATCHES = pytest.StashKey[list]()


def _browser_problems(item) -> list[str]:
    watches = item.stash.get(_WATCHES, [])
    for _watch, page in watches:
        if not page.is_closed():
            try:
                page.evaluate("() => true")  # lets pending console and binding events arrive
            except Exception:  # noqa: BLE001 - a page that cannot answer has nothing more to report
                pass
    return [problem for watch, _page in watches for problem in watch.problems]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail the test itself (not its teardown) when a watched page saw a problem."""
    try:
        result = yield
    except BaseException:
        problems = _browser_problems(item)
        if problems:
            item.add_report_section("call", "browser problems", "\n".join(problems))
        raise
    problems = _browser_problems(item)
    if problems:
        pytest.fail("the browser reported problems:\n  " + "\n  ".join(problems), pytrace=False)
    return result


@pytest.fixture()
def open_page(request, _chromium, live_server) -> Iterator[Callable]:
    """open_page(java_script_enabled=True, **context_options): a watched page in a fresh context.

    Each call is a separate browser session (own cookies), e.g. two staff members at once.
    """
    contexts = []
    watches = request.node.stash.setdefault(_WATCHES, [])

    def _open(java_script_enabled: bool = True, **options):
        settings = dict(
            base_url=live_server.url,
            viewport=DESKTOP,
            locale="nl-NL",
            timezone_id="Europe/Amsterdam",
            reduced_motion="reduce",
            java_script_enabled=java_script_enabled,
        )
        settings.update(options)
        context = _chromium.new_context(**settings)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        watch = PageWatch(f"session {len(contexts) + 1}{'' if java_script_enabled else ', JavaScript off'}")
        context.expose_binding("__reportCspViolation", watch.on_csp_violation)
        context.add_init_script(CSP_LISTENER)
        contexts.append(context)
        page = context.new_page()
        page.on("console", watch.on_console)
        page.on("pageerror", watch.on_page_error)
        watches.append((watch, page))
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture()
def page(open_page):
    """A watched page with JavaScript on, 1280 px wide."""
    return open_page()


@pytest.fixture()
def js_off_page(open_page):
    """A watched page with JavaScript off: the no-JS paths."""
    return open_page(java_script_enabled=False)


@pytest.fixture()
def expect_status(request):
    """with expect_status(page, 422): <the step> -- the step must get a response with that status.

    Chromium logs "Failed to load resource: ... status of 422" for such a response; exactly that
    message, for exactly that response, is allowed. Any other console error still fails the test.
    """

    @contextmanager
    def _expect(page, status: int, url_contains: str = ""):
        watch = next((w for w, p in request.node.stash.get(_WATCHES, []) if p is page), None)
        assert watch is not None, "expect_status needs a page from the page/open_page fixtures"
        # Allowed before the step runs: the console message can arrive before the response event.
        watch.allowed.append((status, url_contains))
        with page.expect_response(
            lambda response: response.status == status and url_contains in response.url
        ):
            yield

    return _expect


# --- axe-core and screenshots ------------------------------------------------------------------


def _format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation.get('impact')}): {violation['help']} -- {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node.get('failureSummary', '').splitlines()[-1:]}")
    return "\n".join(lines)


def run_axe(page) -> list[dict]:
    """axe-core's violations for the page as it is now.

    axe is evaluated through the DevTools protocol, which a Content-Security-Policy does not
    govern: no <script> is added to the page, so a strict script-src stays strict and untested
    code never gets a CSP exemption.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;true")
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, failureSummary: n.failureSummary}))}));
        }""",
        AXE_TAGS,
    )


def horizontal_overflow(page) -> list[str]:
    """Elements wider than the window: content a person would have to scroll sideways to read."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            if (document.documentElement.scrollWidth <= width) return [];
            return [...document.body.querySelectorAll("*")]
                .filter(el => el.getBoundingClientRect().right > width + 1 && el.offsetParent !== null)
                .slice(0, 5)
                .map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).split(" ").join(".") : ""));
        }"""
    )


@pytest.fixture()
def axe_check():
    """axe_check(page, name): no WCAG 2.0/2.1/2.2 A or AA violation, at desktop and at phone width.

    axe cannot judge reflow (WCAG 1.4.10), so it is checked here too: at 320 px nothing may need
    sideways scrolling.
    """

    def _check(page, name: str) -> None:
        found = {}
        original = page.viewport_size or DESKTOP
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            violations = run_axe(page)
            if violations:
                found[label] = violations
        page.set_viewport_size(REFLOW)
        overflowing = horizontal_overflow(page)
        page.set_viewport_size(original)
        assert not found, f"axe found accessibility problems on '{name}':\n" + "\n".join(
            f"  at {label} width:\n{_format_violations(violations)}" for label, violations in found.items()
        )
        assert not overflowing, f"'{name}' needs sideways scrolling at 320 px (WCAG 1.4.10): {overflowing}"

    return _check


_written_screenshots: list[Path] = []


def _safe_name(name: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-")


@pytest.fixture()
def screenshot():
    """screenshot(page, name): <name>--desktop.png (1280 px) and <name>--phone.png (390 px), full page."""

    def _shoot(page, name: str) -> list[Path]:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        original = page.viewport_size or DESKTOP
        paths = []
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            path = SCREENSHOT_DIR / f"{_safe_name(name)}--{label}.png"
            page.screenshot(path=str(path), full_page=True, animations="disabled", caret="initial")
            paths.append(path)
        page.set_viewport_size(original)
        _written_screenshots.extend(paths)
        return paths

    return _shoot


def pytest_terminal_summary(terminalreporter):
    if _written_screenshots:
        terminalreporter.write_sep("-", "browser screenshots")
        terminalreporter.write_line(
            f"{len(_written_screenshots)} screenshots (desktop 1280 px, phone 390 px) in {SCREENSHOT_DIR}"
        )
