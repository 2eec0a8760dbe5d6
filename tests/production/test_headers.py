"""Security headers on every kind of response, cookie flags, and trusted proxies."""

import pytest
from flask import g, request

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
    assert cookie.startswith("__Host-session=")
    for flag in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"]:
        assert flag in cookie.split("; ")
    # __Host-: a browser keeps it only when Secure, with Path=/ and no Domain.
    assert not any(part.lower().startswith("domain=") for part in cookie.split("; "))


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


# --- the staff side: board and detail partials, their refusals, and the session cookie


@pytest.fixture()
def signed_in(client, make_staff_user):
    """log_in(role) -> the user, with the test client's session (no password round trip)."""
    from tests.factories import log_in

    def _log_in(role="asr"):
        user = make_staff_user(f"{role}@example.nl", role=role)
        log_in(client, user)
        # The test's app context outlives requests; Flask-Login keeps the last user on g.
        g.pop("_login_user", None)
        return user

    return _log_in


def test_a_board_partial_has_the_security_headers(client, signed_in, make_registration):
    signed_in("asr")
    make_registration()
    response = client.get("/board?q=Werkgever", headers=PARTIAL)
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert_security_headers(response)


def test_detail_sections_and_their_refusals_have_the_security_headers(client, signed_in, make_registration):
    signed_in("asr")
    registration, _token = make_registration()
    section = client.get(f"/registrations/{registration.id}/policies", headers=PARTIAL)
    assert section.status_code == 200 and "<html" not in section.get_data(as_text=True)
    assert_security_headers(section)

    stale = client.post(f"/registrations/{registration.id}/assign", headers=PARTIAL,
                        data={"action": "take", "version": registration.version - 1})
    assert stale.status_code == 409 and "<html" not in stale.get_data(as_text=True)
    assert_security_headers(stale)

    moved = client.post("/board/move", headers=PARTIAL, data={"registration_id": registration.id,
                                                              "direction": "next", "version": registration.version})
    assert moved.status_code == 422  # nobody has picked it up yet: the guard's message, in place
    assert_security_headers(moved)


def test_refused_partials_have_the_security_headers(client, signed_in, make_registration):
    registration, _token = make_registration()
    anonymous = client.get("/board", headers=PARTIAL)
    assert anonymous.status_code == 401 and "HX-Redirect" in anonymous.headers
    assert_security_headers(anonymous)

    signed_in("keylane")
    forbidden = client.get(f"/registrations/{registration.id}/intake/edit", headers=PARTIAL)
    assert forbidden.status_code == 403 and "<html" not in forbidden.get_data(as_text=True)
    assert_security_headers(forbidden)


def _session_cookie(response) -> list[str]:
    [cookie] = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("__Host-session=")]
    return cookie.split("; ")


def test_production_staff_partials_and_errors_keep_the_cookie_flags(make_production_app, make_staff_user):
    from tests.factories import log_in

    production = make_production_app()
    client = production.test_client()
    log_in(client, make_staff_user("asr@example.nl", role="asr"))
    # A staff session is refreshed on every response (idle expiry): each one sets the cookie again.
    for path, status in (("/board", 200), ("/registrations/999999", 404), ("/admin/outbox", 403)):
        response = client.get(path, headers=PARTIAL)
        assert response.status_code == status, path
        assert "<html" not in response.get_data(as_text=True)
        assert_security_headers(response)
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
        flags = _session_cookie(response)
        assert {"Secure", "HttpOnly", "SameSite=Lax"} <= set(flags), path


def test_no_page_may_be_stored_by_a_browser_or_a_cache(client, signed_in, make_registration):
    registration, token = make_registration()
    public = [client.get("/aanmelden"), client.get(f"/status/{token}")]
    client.post("/aanmelden", data=valid_intake_form())
    client.post("/aanmelden/controleren")
    public.append(client.get("/aanmelden/bevestiging"))
    signed_in("admin")
    staff = [client.get(path) for path in ("/board", f"/registrations/{registration.id}", "/my", "/dashboard",
                                           "/admin/outbox")]
    for response in public + staff:
        assert response.status_code == 200, response.request.path
        assert response.headers["Cache-Control"] == "no-store", response.request.path


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/app.css")
    response.close()
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_a_body_over_the_limit_is_refused_in_dutch_and_stores_nothing(app, client):
    from caseapp.extensions import db
    from caseapp.models import Registration

    too_big = app.config["MAX_CONTENT_LENGTH"] + 1
    form = valid_intake_form(employer_name="x" * too_big)
    response = client.post("/aanmelden", data=form)
    body = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "Dit is te groot om te versturen" in body and "Er is niets opgeslagen" in body
    assert_security_headers(response)
    assert db.session.query(Registration).count() == 0


