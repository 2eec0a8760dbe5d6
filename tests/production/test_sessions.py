"""Staff sessions: idle and absolute lifetime, and ending them server-side
(caseapp.security.start_session / end_session, driven through tests/production/probes.py)."""

import time

import pytest

from caseapp.extensions import db
from caseapp.security import LOGIN_AT


@pytest.fixture()
def staff(make_staff_user):
    return make_staff_user("anouk@example.nl")


@pytest.fixture()
def client(probe_app):
    return probe_app.test_client()


def login(client, user):
    response = client.post(f"/_probe/login/{user.id}")
    assert response.status_code == 200
    return response


def whoami(client) -> str:
    return client.get("/_probe/whoami").get_data(as_text=True)


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_start_session_logs_in_with_a_permanent_session_and_the_login_time(client, staff):
    before = int(time.time())
    response = login(client, staff)
    assert "Expires=" in response.headers["Set-Cookie"]
    assert whoami(client) == "anouk@example.nl"
    with client.session_transaction() as session:
        assert session.permanent
        assert before <= session[LOGIN_AT] <= time.time()


def test_start_session_drops_what_the_session_held_before(client, staff):
    with client.session_transaction() as session:
        session["submitted"] = {"reference": "AW-2026-00001"}
        session["csrf_token"] = "old"
    login(client, staff)
    with client.session_transaction() as session:
        assert "submitted" not in session and "csrf_token" not in session


def test_start_session_refuses_an_inactive_user(client, make_staff_user):
    user = make_staff_user("weg@example.nl", active=False)
    assert client.post(f"/_probe/login/{user.id}").status_code == 403
    assert whoami(client) == "anonymous"


def test_every_request_refreshes_the_idle_timer(client, staff):
    login(client, staff)
    response = client.get("/_probe/whoami")
    assert "session=" in response.headers.get("Set-Cookie", "")


def _cookie_signed_ago(app, data: dict, seconds: int) -> str:
    """A session cookie as the app would have written it `seconds` ago."""
    serializer = app.session_interface.get_signing_serializer(app)
    make_signer = serializer.make_signer

    def signer_in_the_past(salt=None):
        signer = make_signer(salt)
        signer.get_timestamp = lambda: int(time.time()) - seconds
        return signer

    serializer.make_signer = signer_in_the_past
    return serializer.dumps(data)


def test_a_session_idle_longer_than_the_lifetime_is_refused(probe_app, client, staff):
    login(client, staff)
    with client.session_transaction() as session:
        data = dict(session)
    idle = int(probe_app.permanent_session_lifetime.total_seconds())

    client.set_cookie("session", _cookie_signed_ago(probe_app, data, idle - 60))
    assert whoami(client) == "anouk@example.nl"
    client.set_cookie("session", _cookie_signed_ago(probe_app, data, idle + 60))
    assert whoami(client) == "anonymous"


def test_a_session_older_than_the_absolute_lifetime_is_cleared(probe_app, client, staff):
    login(client, staff)
    hours = probe_app.config["SESSION_ABSOLUTE_HOURS"]
    with client.session_transaction() as session:
        session[LOGIN_AT] = int(time.time()) - hours * 3600 + 60
    assert whoami(client) == "anouk@example.nl"

    with client.session_transaction() as session:
        session[LOGIN_AT] = int(time.time()) - hours * 3600 - 60
    assert whoami(client) == "anonymous"
    with client.session_transaction() as session:
        assert dict(session) == {}


def test_a_login_without_start_session_is_not_accepted(client, staff):
    with client.session_transaction() as session:
        session["_user_id"] = staff.get_id()
        session["_fresh"] = True
    assert whoami(client) == "anonymous"


def test_logout_ends_the_session_and_every_copy_of_the_cookie(probe_app, client, staff):
    login(client, staff)
    copied = session_cookie(client)
    other_browser = probe_app.test_client()
    other_browser.set_cookie("session", copied)
    assert whoami(other_browser) == "anouk@example.nl"

    client.post("/_probe/logout")
    assert whoami(client) == "anonymous"
    assert whoami(other_browser) == "anonymous"
    db.session.refresh(staff)
    assert staff.session_version == 2


def test_logout_in_this_browser_only_leaves_other_sessions(probe_app, client, staff):
    login(client, staff)
    other_browser = probe_app.test_client()
    login(other_browser, staff)

    client.post("/_probe/logout-this-browser")
    assert whoami(client) == "anonymous"
    assert whoami(other_browser) == "anouk@example.nl"


def test_ending_another_users_sessions_keeps_your_own(probe_app, client, staff, make_staff_user):
    admin = make_staff_user("beheer@example.nl", role="admin")
    login(client, admin)
    staff_browser = probe_app.test_client()
    login(staff_browser, staff)

    client.post(f"/_probe/revoke/{staff.id}")
    assert whoami(staff_browser) == "anonymous"
    assert whoami(client) == "beheer@example.nl"


def test_deactivation_ends_the_session(probe_app, client, staff):
    login(client, staff)
    staff.active = False
    db.session.commit()
    assert whoami(client) == "anonymous"
