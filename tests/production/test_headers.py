"""Security headers on every kind of response, cookie flags, and trusted proxies."""

import pytest
from flask import request

from caseapp.security import CONTENT_SECURITY_POLICY
from tests.factories import valid_intake_form

PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}


def assert_security_headers(response, referrer="strict-origin-when-cross-origin"):
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for directive in ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
                      "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'"]:
        assert directive in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == referrer
    assert headers["X-Frame-Options"] == "DENY"
    assert "camera=()" in headers["Permissions-Policy"]


def test_the_csp_is_the_documented_one():
    assert CONTENT_SECURITY_POLICY == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def test_a_full_page_has_the_security_headers(client):
    response = client.get("/aanmelden")
    assert response.status_code == 200
    assert_security_headers(response)


def test_a_partial_has_the_security_headers(client):
    response = client.post("/aanmelden/controle/payroll_tax_number", data={"payroll_tax_number": "123456782L01"},
                           headers=PARTIAL)
    assert response.status_code == 200
    assert "<html" not in response.get_data(as_text=True)
    assert_security_headers(response)


def test_a_validation_error_has_the_security_headers(client):
    response = client.post("/aanmelden", data=valid_intake_form(processor_email="nee"))
    assert response.status_code == 422
    assert_security_headers(response)


@pytest.mark.parametrize("path", ["/bestaat-niet", "/status/onbekend"])
def test_an_error_has_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert_security_headers(response)


def test_an_error_partial_has_the_security_headers(client):
    response = client.get("/bestaat-niet", headers=PARTIAL)
    assert response.status_code == 404
    assert 'id="error-message"' in response.get_data(as_text=True)
    assert_security_headers(response)


def test_a_server_error_has_the_security_headers(app, client):
    @app.get("/_boom")
    def boom():
        raise RuntimeError("kapot")

    response = client.get("/_boom")
    assert response.status_code == 500
    assert_security_headers(response)


def test_a_static_file_has_the_security_headers(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert_security_headers(response)
    response.close()


def test_the_status_page_keeps_no_referrer(client, make_registration):
    _, token = make_registration()
    assert_security_headers(client.get(f"/status/{token}"), referrer="no-referrer")


def test_no_hsts_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/aanmelden").headers


def test_production_sends_hsts_and_a_secure_httponly_lax_session_cookie(make_production_app):
    production = make_production_app()
    response = production.test_client().get("/aanmelden")  # the CSRF token starts a session
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert_security_headers(response)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    for flag in ["Secure", "HttpOnly", "SameSite=Lax"]:
        assert flag in cookie.split("; ")


def test_development_cookie_is_httponly_and_lax_but_not_secure(app):
    app.config["WTF_CSRF_ENABLED"] = True
    cookie = app.test_client().get("/aanmelden").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def _who_is_asking():
    return {"ip": request.remote_addr, "scheme": request.scheme, "host": request.host}


# What the app sees behind two proxies (TLS ends at the first), by how many it trusts.
@pytest.mark.parametrize("proxies, expected", [
    (0, {"ip": "127.0.0.1", "scheme": "http", "host": "localhost"}),
    (1, {"ip": "203.0.113.9", "scheme": "http", "host": "lb.internal"}),
    (2, {"ip": "198.51.100.4", "scheme": "https", "host": "aanmelden.example.nl"}),
])
def test_forwarded_headers_are_believed_from_proxy_count_proxies_only(make_production_app, proxies, expected):
    production = make_production_app(PROXY_COUNT=proxies)
    production.add_url_rule("/_who", "who", _who_is_asking)
    response = production.test_client().get("/_who", base_url="http://localhost", headers={
        "X-Forwarded-For": "198.51.100.4, 203.0.113.9",
        "X-Forwarded-Proto": "https, http",
        "X-Forwarded-Host": "aanmelden.example.nl, lb.internal",
    })
    assert response.json == expected
