import logging

import pytest

from caseapp.extensions import db


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="email"' in response.get_data(as_text=True) and 'name="password"' in response.get_data(as_text=True)


def test_login_with_the_right_password_goes_to_the_board(client, auth, make_user):
    user = make_user("asr")
    response = auth.login(user)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/board")
    assert client.get("/board").status_code == 200


def test_login_follows_a_local_next_but_not_another_site(client, make_user):
    from tests.factories import PASSWORD

    user = make_user("asr")
    response = client.post("/login?next=/registrations/1", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/registrations/1")
    client.post("/logout")
    response = client.post("/login?next=https://evil.example/", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/board")


def test_failed_login_is_refused_and_logged_without_the_password(client, auth, make_user, caplog):
    user = make_user("asr")
    with caplog.at_level(logging.WARNING):
        response = auth.login(user, password="wrong-secret-123")
    assert response.status_code == 422
    assert "Inloggen lukt niet" in response.get_data(as_text=True)
    assert any("failed login" in r.getMessage() and user.email in r.getMessage() for r in caplog.records)
    assert "wrong-secret-123" not in caplog.text
    assert client.get("/board").status_code == 302


def test_unknown_account_gets_the_same_answer(client):
    response = client.post("/login", data={"email": "nobody@example.nl", "password": "x"})
    assert response.status_code == 422
    assert "Inloggen lukt niet" in response.get_data(as_text=True)


def test_inactive_account_cannot_log_in(auth, make_user):
    user = make_user("asr", active=False)
    assert auth.login(user).status_code == 422


def test_deactivating_a_user_ends_their_existing_session(client, auth, make_user):
    user = make_user("keylane")
    auth.login(user)
    assert client.get("/board").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/board").status_code == 302


def test_logout_ends_the_session_even_for_a_copied_cookie(app, client, auth, make_user):
    user = make_user("asr")
    auth.login(user)
    copied = client.get_cookie("session").value
    auth.logout()
    assert client.get("/board").status_code == 302
    other = app.test_client()
    other.set_cookie("session", copied)
    assert other.get("/board").status_code == 302


def test_staff_page_without_session_redirects_to_login(client):
    response = client.get("/board")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/board", "/registrations/1"])
def test_partial_request_without_session_gets_401_and_hx_redirect(client, path):
    response = client.get(path, headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_passwords_are_hashed_with_argon2id(make_user):
    user = make_user("asr")
    assert user.password_hash.startswith("$argon2id$")
