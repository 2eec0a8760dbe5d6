"""make_* helpers for tests, available as fixtures."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.insight.clocks import ball_since_after
from caseapp.intake.service import IntakeData, create_registration
from caseapp.models import ContactLogEntry, Event, User

# Checksum-valid loonheffingennummers (the 9 digits pass the 11-test).
VALID_PAYROLL_TAX_NUMBERS = ["123456782L01", "111222333L01", "100000009L02", "987654329L01", "192837461L01"]
_counter = itertools.count(1)


def valid_intake_form(**overrides) -> dict[str, str]:
    """A complete, valid intake POST body, as a browser would send it."""
    from caseapp.process import PREREQUISITE_KEYS

    data = {
        "processor_name": "Salarisbureau Noord B.V.",
        "processor_email": "loket@salarisnoord.nl",
        "employer_name": "Bakkerij Van Dam",
        "contract_number": "A0201234567",
        "payroll_tax_number": "123456782L01",
        "loket_employer_id": "b14acd0d-75d7-4fc8-8b22-4a3924585cab",
        "pay_frequency": "monthly",
        "thirteenth_month": "no",
        "website": "",
    }
    data.update({f"prereq_{key}": "y" for key in PREREQUISITE_KEYS})
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def send_intake(client, form: dict[str, str]):
    """Send an intake as a processor does: the form (303 to the check page, nothing stored yet),
    then the check page's "Aanmelding versturen". Returns the response of that last POST."""
    response = client.post("/aanmelden", data=form)
    assert response.status_code == 303, response.status_code
    assert response.headers["Location"].endswith("/aanmelden/controleren"), response.headers["Location"]
    token = {"csrf_token": form["csrf_token"]} if "csrf_token" in form else {}
    return client.post("/aanmelden/controleren", data=token)


def registration_from_intake(step: str | None = None, **overrides):
    """A registration made through the intake service, as if a processor submitted it,
    optionally put in `step`; returns (registration, token). Needs an app context."""
    n = next(_counter)
    fields = dict(
        processor_name="Salarisbureau Noord B.V.",
        processor_email="loket@salarisnoord.nl",
        employer_name=f"Werkgever {n}",
        contract_number="A0201234567",
        payroll_tax_number=VALID_PAYROLL_TAX_NUMBERS[n % len(VALID_PAYROLL_TAX_NUMBERS)],
        loket_employer_id=f"00000000-0000-4000-8000-{n:012d}",
        pay_frequency="monthly",
        thirteenth_month=False,
        contract_prefix_warning=False,
        directors=[],
    )
    fields.update(overrides)
    registration, token = create_registration(IntakeData(**fields))
    if step is not None:
        registration.step = step
        db.session.commit()
    return registration, token


@pytest.fixture()
def make_registration(app):
    """Create a registration through the intake service; returns (registration, token)."""

    def _make(**overrides):
        return registration_from_intake(**overrides)

    return _make


PASSWORD = "correct horse battery staple"


@pytest.fixture()
def make_user(app):
    """Create a staff user; its password is factories.PASSWORD unless given."""
    from caseapp.auth.passwords import hash_password

    hashed = hash_password(PASSWORD)

    def _make(role: str = "asr", email: str | None = None, name: str | None = None, password: str | None = None, **fields):
        n = next(_counter)
        user = User(
            email=email or f"{role}{n}@example.nl",
            name=name or f"{role.capitalize()} Medewerker {n}",
            role=role,
            password_hash=hash_password(password) if password else hashed,
            **fields,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return _make


@pytest.fixture()
def make_staff(app):
    """Create a staff user without the cost of a password hash (an unusable password):
    an assignee, or someone whose session log_in writes. The password login itself
    is tested in tests/auth."""

    def _make(role: str = "asr", name: str | None = None) -> User:
        n = next(_counter)
        user = User(email=f"staff-{role}{n}@example.nl", name=name or f"{role.capitalize()} Collega {n}",
                    role=role, password_hash="!")
        db.session.add(user)
        db.session.commit()
        return user

    return _make


@pytest.fixture()
def login_as(client, make_staff):
    """Create a staff user with `role` (see make_staff) and give the test client their session."""

    def _login(role: str = "asr", name: str | None = None) -> User:
        user = make_staff(role, name)
        log_in(client, user)
        return user

    return _login


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, user, password: str = PASSWORD):
        return self._client.post("/login", data={"email": user.email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture()
def auth(client):
    return AuthActions(client)


def log_in(client, user: User) -> None:
    """Log a user in by writing the session a real login would (no password hashing)."""
    import time

    from caseapp.security import LOGIN_AT

    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session[LOGIN_AT] = int(time.time())
        session.permanent = True


# ---------------------------------------------------------------------------
# Registrations with known event histories [(at, kind, data)]
# ---------------------------------------------------------------------------


def submitted(at):
    return (at, "submitted", {})


def moved(at, frm, to, **extra):
    return (at, "step_changed", {"from": frm, "to": to, **extra})


def through(at, *steps, gap=timedelta(days=1)):
    """Events for moving forward step by step from `received`, `gap` apart, starting at `at`."""
    events, current = [], "received"
    for index, step in enumerate(steps):
        events.append(moved(at + gap * index, current, step))
        current = step
    return events


@pytest.fixture()
def make_history(make_registration):
    """Create a registration whose event trail is exactly `events` [(at, kind, data)],
    with the registration's columns set the way the workflow would have left them."""

    def _make(events, *, contacts=(), assignee=None, **fields):
        registration, _token = make_registration(**fields)
        db.session.execute(sa.delete(Event).where(Event.registration_id == registration.id))
        step, step_entered, waiting_since, withdrawn_at, realised_at, live_at = "received", None, None, None, None, None
        for at, kind, data in events:
            db.session.add(Event(registration_id=registration.id, kind=kind, data=data, created_at=at,
                                 actor_label="processor" if kind == "submitted" else None))
            if kind == "submitted":
                step_entered = at
            elif kind == "step_changed":
                step, step_entered = data["to"], at
                if step == "realised" and realised_at is None:
                    realised_at = at
                if step == "live":
                    live_at = at
            elif kind == "waiting_set":
                waiting_since = at
            elif kind == "waiting_cleared":
                waiting_since = None
            elif kind == "withdrawn":
                withdrawn_at = at
            elif kind == "reopened":
                withdrawn_at = None
        registration.created_at = events[0][0]
        registration.step = step
        registration.step_entered_at = step_entered or events[0][0]
        registration.waiting_since = waiting_since
        registration.waiting_reason = "rechten ontbreken" if waiting_since else None
        registration.withdrawn_at = withdrawn_at
        registration.withdrawn_reason = "overgestapt" if withdrawn_at else None
        registration.realised_at = realised_at
        registration.live_at = live_at
        registration.ball_since = ball_since_after(events)
        if assignee is not None:
            registration.assignee_id = assignee.id
        for occurred_at, follow_up in contacts:
            db.session.add(ContactLogEntry(registration_id=registration.id, occurred_at=occurred_at, channel="phone",
                                           with_whom="Salarisbureau Noord", summary="Gebeld.",
                                           follow_up_date=follow_up))
        db.session.commit()
        return registration

    return _make


# ---------------------------------------------------------------------------
# Requests to the processor, and the files a processor attaches to an answer
# ---------------------------------------------------------------------------

# The first bytes are what makes a file a PNG (or a PDF); the rest is filler.
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n" + b"1 0 obj << >> endobj\n" * 20


def ask_processor(registration_id: int, actor: User, items=("right_hrm", "standard_user"),
                  message: str = "Wilt u dit in Loket.nl regelen?"):
    """The team asks the processor for `items` (workflow.set_waiting, committed); returns the request's id."""
    from caseapp import workflow
    from caseapp.changes import transaction
    from caseapp.models import Registration

    db.session.expire_all()
    with transaction():
        request = workflow.set_waiting(db.session.get(Registration, registration_id), actor, message, list(items))
        request_id = request.id
    return request_id
