"""admin_required: who gets through, and what the others are answered."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factories import log_in

GUARDED = "/admin/outbox"


def test_an_anonymous_page_request_is_sent_to_the_login_page(client):
    response = client.get(GUARDED + "?status=failed")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": ["/admin/outbox?status=failed"]}


def test_an_anonymous_post_is_sent_to_the_login_page_without_a_next(client):
    response = client.post("/admin/outbox/1/resend")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


@pytest.mark.parametrize("request_type", ["partial", "full"])
def test_an_anonymous_htmx_request_gets_401_and_hx_redirect(client, request_type):
    response = client.get(GUARDED, headers={"HX-Request": "true", "HX-Request-Type": request_type})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login"


@pytest.mark.parametrize("role", ["asr", "keylane"])
def test_staff_without_the_admin_role_get_403(client, make_user, role):
    log_in(client, make_user(role=role))
    response = client.get(GUARDED)
    assert response.status_code == 403
    assert "Geen toegang" in response.get_data(as_text=True)


def test_an_administrator_gets_through(client, make_user):
    log_in(client, make_user(role="admin"))
    assert client.get(GUARDED).status_code == 200


def test_a_deactivated_administrator_is_treated_as_logged_out(client, make_user):
    log_in(client, make_user(role="admin", active=False))
    assert client.get(GUARDED).status_code == 302
