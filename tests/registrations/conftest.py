"""Helpers for the detail page tests: staff per role, posting as a form or as
HTMX, and reading the registration back from the database."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import g
from jinja2 import BytecodeCache

from caseapp.extensions import db
from caseapp.models import Event, Registration, User
from tests.factories import log_in

HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


class _MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by the apps of one test run: every test gets a
    new app (and Jinja environment), and parsing the detail page each time
    would cost more than the test itself."""

    def __init__(self):
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self._store:
            bucket.bytecode_from_string(self._store[bucket.key])

    def dump_bytecode(self, bucket):
        self._store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE_CACHE = _MemoryBytecodeCache()


@pytest.fixture(autouse=True)
def _shared_template_cache(app):
    app.jinja_env.bytecode_cache = _BYTECODE_CACHE


def fresh(registration_id: int) -> Registration:
    """The registration as stored now (nothing from the session's identity map)."""
    db.session.expire_all()
    return db.session.get(Registration, registration_id)


def events_of(registration_id: int) -> list[Event]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Event).where(Event.registration_id == registration_id).order_by(Event.id)))


def text_of(response) -> str:
    """The visible text of a response, whitespace collapsed (for asserting messages)."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<[^>]+>", " ", html)
    return " ".join(html.replace("&#39;", "'").replace("&amp;", "&").split())


class Desk:
    """Acts on one registration through the HTTP interface."""

    def __init__(self, client, auth):
        self.client = client
        self.auth = auth

    def login(self, user):
        """Log in as `user` the way Flask-Login remembers it, without the
        deliberately slow password check (tests/auth covers logging in)."""
        with self.client.session_transaction() as session:
            session.clear()
        log_in(self.client, user)
        # The test's app context outlives each request, and Flask-Login keeps
        # the user of the last request on g: forget it.
        g.pop("_login_user", None)
        return user

    def post(self, registration_id: int, action: str, data: dict | None = None, *, version: int | None = None,
             htmx: bool = False):
        body = dict(data or {})
        if "version" not in body:
            body["version"] = str(version if version is not None else fresh(registration_id).version)
        return self.client.post(f"/registrations/{registration_id}/{action}", data=body, headers=HX if htmx else {})


@pytest.fixture()
def desk(client, auth):
    return Desk(client, auth)


@pytest.fixture()
def staff(app):
    """One active user per role (no usable password: Desk.login needs none)."""
    users = {
        role: User(email=f"{role}@example.nl", name=name, role=role, active=True, password_hash="!")
        for role, name in (("asr", "Anouk de Vries"), ("keylane", "Kees Jansen"), ("admin", "Bea Beheer"))
    }
    db.session.add_all(users.values())
    db.session.commit()
    return users
