"""The in-process SMTP server and outbox helpers for the mail tests."""

from __future__ import annotations

import email
import socket
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from caseapp.extensions import db
from caseapp.models import OutboxMessage


def free_port() -> int:
    """A port nothing listens on right now (aiosmtpd cannot bind port 0 itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    """One message as the SMTP server got it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes = b""  # as it came over the wire

    @property
    def subject(self) -> str:
        # A subject longer than one header line is folded onto the next line; Python's parser
        # keeps the fold's space, mail clients do not.
        return str(self.message["Subject"]).strip()

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()


class RecordingHandler:
    """Accepts (or, when told to, refuses) every message and keeps what it accepted."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.reply = "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if not self.reply.startswith("250"):
            return self.reply
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message, envelope.content))
        return "250 OK"


class SMTPServer:
    """aiosmtpd on 127.0.0.1:<port>; can be stopped and started again on the same port."""

    def __init__(self, port: int, **smtp_options) -> None:
        self.port = port
        self.handler = RecordingHandler()
        self.smtp_options = smtp_options
        self._controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **self.smtp_options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def refuse(self, reply: str = "550 5.7.1 Bericht geweigerd") -> None:
        self.handler.reply = reply

    def accept(self) -> None:
        self.handler.reply = "250 OK"

    def to(self, address: str) -> list[Received]:
        return [item for item in self.received if item.rcpt_tos == [address]]


def mail_settings(port: int, **overrides) -> dict:
    settings = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_SUPPRESS_SEND": False, "MAIL_TIMEOUT": 5}
    settings.update(overrides)
    return settings


def outbox(**where) -> list[OutboxMessage]:
    db.session.expire_all()
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    for column, value in where.items():
        query = query.where(getattr(OutboxMessage, column) == value)
    return list(db.session.scalars(query))


def clear_outbox() -> None:
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()
