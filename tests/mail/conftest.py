"""Fixtures for the mail tests: a real SMTP server in-process and apps that deliver to it."""

from __future__ import annotations

import pytest

from caseapp.extensions import db
from tests.mail.support import SMTPServer, free_port, mail_settings
from tests.registrations.conftest import Desk


@pytest.fixture()
def smtp_server():
    server = SMTPServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def app_config(smtp_server) -> dict:
    """Mail tests deliver to the in-process server (Flask-Mail reads this at init_app)."""
    return mail_settings(smtp_server.port)


@pytest.fixture()
def send(runner):
    """Run `flask outbox send` as an operator would; returns the CLI output."""

    def _send(*args: str) -> str:
        result = runner.invoke(args=["outbox", "send", *args])
        assert result.exit_code == 0, result.output
        # The command ran in an app context of its own: read fresh rows afterwards.
        db.session.expire_all()
        return result.output

    return _send


@pytest.fixture()
def desk(client, auth):
    """Staff acting on a registration over HTTP (tests/registrations/conftest.py)."""
    return Desk(client, auth)


@pytest.fixture()
def staff(app, make_user):
    """One a.s.r. and one Keylane user."""
    return {role: make_user(role) for role in ("asr", "keylane")}
