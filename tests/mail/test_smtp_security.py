"""STARTTLS with a checked certificate, and login with the credentials from the settings."""

from __future__ import annotations

import shutil
import ssl
import subprocess

import pytest
from aiosmtpd.smtp import AuthResult

from caseapp.extensions import db
from caseapp.outbox import messages, sender
from tests.mail.support import (
    SMTPServer,
    clear_outbox,
    free_port,
    mail_settings,
    outbox,
)

USER, PASSWORD = "relay-gebruiker", "geheim-wachtwoord"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed: cannot make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture()
def tls_server(certificate):
    """Requires STARTTLS before anything else, and a login."""
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        login = (auth_data.login.decode(), auth_data.password.decode())
        logins.append(login)
        # handled=False: the server answers a refusal with 535 itself.
        return AuthResult(success=login == (USER, PASSWORD), handled=False)

    server = SMTPServer(free_port(), tls_context=context, require_starttls=True,
                        authenticator=authenticator, auth_required=True, auth_require_tls=True)
    server.logins = logins
    server.start()
    yield server
    server.stop()


@pytest.fixture()
def queued(make_registration):
    registration, _token = make_registration()
    clear_outbox()
    messages.queue_withdrawn(registration, "Dubbel aangemeld")
    db.session.commit()


def send_with(make_app, port, **settings):
    settings = {"MAIL_USE_TLS": True, "MAIL_USERNAME": USER, "MAIL_PASSWORD": PASSWORD, **settings}
    sending_app = make_app(**mail_settings(port, **settings))
    with sending_app.app_context():
        return sender.send_due()


def test_starttls_and_login_deliver_when_the_certificate_is_trusted(queued, tls_server, certificate, make_app, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    report = send_with(make_app, tls_server.port)

    assert report.sent == 1
    assert tls_server.logins == [(USER, PASSWORD)]
    assert len(tls_server.received) == 1
    assert [m.status for m in outbox()] == ["sent"]


def test_starttls_refuses_a_certificate_it_cannot_verify(queued, tls_server, make_app):
    report = send_with(make_app, tls_server.port)

    assert report.retrying == 1
    [message] = outbox()
    assert message.status == "queued" and "CERTIFICATE_VERIFY_FAILED" in message.last_error
    assert tls_server.logins == [] and tls_server.received == []


def test_a_refused_login_leaves_the_message_queued_with_the_reason(queued, tls_server, certificate, make_app, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    report = send_with(make_app, tls_server.port, MAIL_PASSWORD="fout")

    assert report.retrying == 1
    [message] = outbox()
    assert message.status == "queued" and "SMTP 535" in message.last_error
    assert tls_server.received == []
