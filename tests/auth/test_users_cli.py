import pytest
import sqlalchemy as sa

from caseapp.auth.passwords import verify_password
from caseapp.extensions import db
from caseapp.models import User
from tests.factories import PASSWORD

GOOD_PASSWORD = "paard-batterij-nietje-42"


def user_by_email(email):
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_create_with_password_option_stores_an_argon2_hash(runner):
    result = runner.invoke(args=["users", "create", "Anouk@Example.nl", "--name", "Anouk de Vries",
                                 "--role", "asr", "--password", GOOD_PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Created asr account anouk@example.nl" in result.output
    user = user_by_email("anouk@example.nl")
    assert user.name == "Anouk de Vries" and user.role == "asr" and user.active
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, GOOD_PASSWORD)
    assert GOOD_PASSWORD not in result.output


def test_create_asks_for_the_password_twice_when_not_given(runner):
    result = runner.invoke(args=["users", "create", "kees@example.nl", "--name", "Kees", "--role", "keylane"],
                           input=f"{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and "Repeat the password" in result.output
    assert GOOD_PASSWORD not in result.output  # hidden input is not echoed
    assert verify_password(user_by_email("kees@example.nl").password_hash, GOOD_PASSWORD)


def test_create_asks_again_when_the_two_passwords_differ(runner):
    result = runner.invoke(args=["users", "create", "kees@example.nl", "--name", "Kees", "--role", "keylane"],
                           input=f"{GOOD_PASSWORD}\nsomething-else-entirely\n{GOOD_PASSWORD}\n{GOOD_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower() or "don't match" in result.output.lower()
    assert user_by_email("kees@example.nl") is not None


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("kort-wacht1", "too short: use at least 12 characters"),
        ("aaaaaaaaaaaaaaa", "repeats the same few characters"),
        ("wachtwoord123", "most common passwords"),
        ("bea@example.nl", "e-mail address or the name"),
    ],
)
def test_create_refuses_a_weak_password(runner, password, message):
    result = runner.invoke(args=["users", "create", "bea@example.nl", "--name", "Bea", "--role", "admin",
                                 "--password", password])
    assert result.exit_code != 0
    assert message in result.output
    assert user_by_email("bea@example.nl") is None


def test_create_refuses_a_duplicate_email_in_any_case(runner, make_user):
    make_user("asr", email="anouk@example.nl")
    result = runner.invoke(args=["users", "create", "ANOUK@example.nl", "--name", "Anouk", "--role", "asr",
                                 "--password", GOOD_PASSWORD])
    assert result.exit_code != 0
    assert "An account for anouk@example.nl already exists." in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_create_refuses_an_unknown_role(runner):
    result = runner.invoke(args=["users", "create", "x@example.nl", "--name", "X", "--role", "boss",
                                 "--password", GOOD_PASSWORD])
    assert result.exit_code == 2
    assert "'boss' is not one of 'asr', 'keylane', 'admin'" in result.output
    assert user_by_email("x@example.nl") is None


def test_create_refuses_an_invalid_email(runner):
    result = runner.invoke(args=["users", "create", "not-an-address", "--name", "X", "--role", "asr",
                                 "--password", GOOD_PASSWORD])
    assert result.exit_code == 2
    assert "is not a valid e-mail address" in result.output


def test_created_user_can_log_in(runner, client):
    runner.invoke(args=["users", "create", "kees@example.nl", "--name", "Kees", "--role", "keylane",
                        "--password", GOOD_PASSWORD])
    response = client.post("/login", data={"email": "kees@example.nl", "password": GOOD_PASSWORD})
    assert response.status_code == 303


def test_deactivate_ends_an_existing_session(runner, client, auth, make_user):
    user = make_user("asr")
    auth.login(user)
    assert client.get("/board").status_code == 200
    result = runner.invoke(args=["users", "deactivate", user.email.upper()])
    assert result.exit_code == 0, result.output
    assert "Deactivated" in result.output
    refreshed = user_by_email(user.email)
    assert refreshed.active is False and refreshed.session_version == 2
    assert client.get("/board").status_code == 302
    assert auth.login(refreshed).status_code == 422


def test_a_deactivated_session_stays_ended_if_the_account_is_activated_again(runner, make_app, make_user):
    user = make_user("asr")
    # An app of its own: each request loads the user afresh, as on a real server
    # (the test's pushed app context would keep the user of an earlier request).
    server = make_app()
    browser = server.test_client()
    assert browser.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 303
    assert browser.get("/board").status_code == 200

    assert runner.invoke(args=["users", "deactivate", user.email]).exit_code == 0
    assert browser.get("/board").status_code == 302
    # Ended on the server, not only refused while inactive: the old cookie stays worthless.
    user = user_by_email(user.email)
    user.active = True
    db.session.commit()
    assert browser.get("/board").status_code == 302
    assert server.test_client().post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 303


def test_deactivating_twice_ends_sessions_again(runner, make_user):
    user = make_user("asr")
    assert runner.invoke(args=["users", "deactivate", user.email]).exit_code == 0
    result = runner.invoke(args=["users", "deactivate", user.email])
    assert result.exit_code == 0 and "was already inactive" in result.output
    assert user_by_email(user.email).session_version == 3


def test_deactivate_an_unknown_email_fails_clearly(runner):
    result = runner.invoke(args=["users", "deactivate", "nobody@example.nl"])
    assert result.exit_code != 0
    assert "There is no account for nobody@example.nl." in result.output


def test_list_shows_every_account_with_role_and_state(runner, make_user):
    make_user("asr", email="anouk@example.nl", name="Anouk de Vries")
    make_user("keylane", email="kees@example.nl", name="Kees Jansen", active=False)
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert any("anouk@example.nl" in line and "asr" in line and "active" in line and "Anouk de Vries" in line
               for line in lines)
    assert any("kees@example.nl" in line and "keylane" in line and "inactive" in line for line in lines)


def test_list_without_accounts_says_how_to_create_one(runner):
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    assert "users create" in result.output
