"""One log line per request with a request id; no status token in any log line."""

import logging

import pytest

from caseapp.logs import TokenMaskingFilter, mask_tokens


@pytest.mark.parametrize("line, expected", [
    ("GET /status/abcDEF-_123 HTTP/1.1", "GET /status/[token] HTTP/1.1"),
    ("https://aanmelden.example.nl/status/abc123?x=1", "https://aanmelden.example.nl/status/[token]?x=1"),
    ('"GET /STATUS/abc123"', '"GET /STATUS/[token]"'),
    ("referer=https://x.nl/status/abc123 and /status/def456", "referer=https://x.nl/status/[token] and /status/[token]"),
    ("GET /aanmelden HTTP/1.1", "GET /aanmelden HTTP/1.1"),
])
def test_mask_tokens(line, expected):
    assert mask_tokens(line) == expected


def request_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "caseapp.request"]


def test_each_request_is_logged_once_with_id_method_path_status_and_duration(client, caplog):
    caplog.set_level(logging.INFO)
    response = client.get("/aanmelden")
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    [line] = request_lines(caplog)
    assert f"request_id={request_id}" in line
    assert "method=GET path=/aanmelden status=200 duration_ms=" in line


def test_a_sane_incoming_request_id_is_kept(client, caplog):
    caplog.set_level(logging.INFO)
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c2e-0001"})
    assert response.headers["X-Request-ID"] == "lb-7f3a9c2e-0001"
    assert "request_id=lb-7f3a9c2e-0001" in request_lines(caplog)[0]


@pytest.mark.parametrize("incoming", ["short", "x" * 65, "../../etc/passwd-1234", "<script>alert(1)</script>", "a b c d e f g"])
def test_an_odd_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] != incoming
    assert len(response.headers["X-Request-ID"]) == 32


def test_error_responses_are_logged_with_their_status(client, caplog):
    caplog.set_level(logging.INFO)
    client.get("/bestaat-niet")
    assert "status=404" in request_lines(caplog)[0]


def test_no_log_record_holds_a_status_token(app, client, make_registration, caplog):
    caplog.set_level(logging.DEBUG)
    _, token = make_registration()

    @app.get("/status/<token>/kapot")
    def broken_status(token):
        raise RuntimeError(f"failed for /status/{token}")

    client.get(f"/status/{token}")
    client.get(f"/status/{token}/kapot")
    client.get(f"/status/{token}?x=1", headers={"Referer": f"http://testserver/status/{token}"})

    assert len(request_lines(caplog)) == 3
    assert any("/status/[token]" in line for line in request_lines(caplog))
    formatter = logging.Formatter("%(message)s")
    for record in caplog.records:
        assert token not in formatter.format(record)
    assert token not in caplog.text


def test_the_filter_masks_arguments_and_tracebacks():
    try:
        raise ValueError("bad /status/geheimtoken123")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "on %s", ("/status/geheimtoken123",),
                                   sys.exc_info())
    TokenMaskingFilter().filter(record)
    text = logging.Formatter("%(message)s").format(record)
    assert "geheimtoken123" not in text
    assert "on /status/[token]" in text and "ValueError: bad /status/[token]" in text


def test_the_404_of_a_wrong_token_does_not_log_the_token(client, caplog):
    caplog.set_level(logging.DEBUG)
    guessed = "geraden-token-0123456789abcdef"
    assert client.get(f"/status/{guessed}").status_code == 404
    partial = {"HX-Request": "true", "HX-Request-Type": "partial"}
    assert client.get(f"/status/{guessed}", headers=partial).status_code == 404
    lines = request_lines(caplog)
    assert len(lines) == 2 and all("path=/status/[token] status=404" in line for line in lines)
    assert guessed not in caplog.text


def test_a_line_break_typed_into_the_login_cannot_forge_a_log_line(client, caplog):
    caplog.set_level(logging.INFO)
    forged = "iemand@example.nl\n2026-12-04 09:00:00 INFO [-] caseapp: login beheer@example.nl"
    client.post("/login", data={"email": forged, "password": "fout-wachtwoord"})
    failed = [r for r in caplog.records if r.name == "caseapp" and "failed login" in r.getMessage()]
    assert failed, "the failed login is logged"
    text = logging.Formatter("%(message)s").format(failed[0])
    assert "\n" not in text and "iemand@example.nl\\n2026-12-04" in text


def test_control_characters_in_a_path_are_escaped_in_the_request_line(client, caplog):
    caplog.set_level(logging.INFO)
    client.get("/aanmelden%0D%0Astatus=200%1B[0m")
    [line] = request_lines(caplog)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert "path=/aanmelden\\r\\nstatus=200\\x1b[0m" in line
