"""The browser harness checks what it promises: a guard that cannot fail would prove nothing."""

import pytest
from flask_mail import Message

from caseapp.extensions import mail
from tests.browser.conftest import _WATCHES, run_axe


def watch_of(request, page):
    return next(watch for watch, watched in request.node.stash[_WATCHES] if watched is page)


def reported(request, page, *fragments: str) -> str:
    """The page's problems once every fragment has been reported (events arrive asynchronously)."""
    watch = watch_of(request, page)
    for _ in range(100):
        text = "\n".join(watch.problems)
        if all(fragment in text for fragment in fragments):
            return text
        page.wait_for_timeout(50)
    pytest.fail(f"not reported: {fragments}; reported: {watch.problems}")


def test_the_live_app_delivers_mail_to_the_smtp_server(live_server, smtp):
    with live_server.app_context():
        mail.send(Message("Proef", recipients=["loket@salarisnoord.nl"], body="Hallo vanuit de test."))
    [received] = smtp.wait_for(1)
    assert received.rcpt_tos == ["loket@salarisnoord.nl"]
    assert received.subject == "Proef"
    assert "Hallo vanuit de test." in received.text


def test_console_errors_page_errors_and_csp_violations_are_caught(page, live_server, request):
    page.goto("/aanmelden")
    page.evaluate("() => console.error('kapot')")
    page.evaluate("() => setTimeout(() => { throw new Error('onverwacht'); })")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.x = 1'; document.body.append(s); }"
    )
    reported(request, page, "console error: kapot", "uncaught error: onverwacht", "CSP violation: {'directive': 'script-src")
    watch_of(request, page).problems.clear()  # they were provoked on purpose


def test_axe_check_fails_on_a_real_violation(page, live_server, axe_check):
    page.goto("/aanmelden")
    page.evaluate(
        "() => { const img = document.createElement('img'); img.src = '/static/favicon.svg'; document.querySelector('h1').append(img); }"
    )
    assert "image-alt" in [violation["id"] for violation in run_axe(page)]
    with pytest.raises(AssertionError, match="image-alt"):
        axe_check(page, "an image without alt text")


def test_an_unexpected_error_status_is_a_problem_but_an_expected_one_is_not(page, live_server, expect_status, request):
    with expect_status(page, 404, "/bestaat-niet"):
        page.goto("/bestaat-niet")
    page.evaluate("() => true")
    assert watch_of(request, page).problems == []

    page.goto("/ook-niet")
    assert "status of 404" in reported(request, page, "/ook-niet")
    watch_of(request, page).problems.clear()


def test_axe_check_fails_when_a_page_needs_sideways_scrolling(page, live_server, axe_check):
    page.goto("/aanmelden")
    page.evaluate("() => { document.querySelector('.lead').style.width = '40rem'; }")
    with pytest.raises(AssertionError, match=r"sideways scrolling at 320 px.*p\.lead"):
        axe_check(page, "a paragraph wider than a phone")
