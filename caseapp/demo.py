"""`flask --app wsgi demo-data`: a realistic set of registrations for trying the app."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from stdnum.nl import bsn

from .auth.passwords import hash_password
from .changes import record_event
from .dates import today_local, utcnow
from .extensions import db
from .insight.clocks import load_clocks
from .intake.service import IntakeData, create_registration
from .models import (
    AuthorisationCheck,
    ContactLogEntry,
    Event,
    PolicyRecord,
    ProcessorRequest,
    ProcessorRequestItem,
    Registration,
    User,
)
from .process import PREREQUISITE_KEYS, STEPS

DEMO_PASSWORD = "demo-wachtwoord"
DEMO_USERS = [
    ("beheer@example.nl", "Bea Beheer", "admin"),
    ("asr@example.nl", "Anouk de Vries", "asr"),
    ("asr2@example.nl", "Sander Bakker", "asr"),
    ("keylane@example.nl", "Kees Jansen", "keylane"),
]

PROCESSORS = [
    ("Salarisbureau Noord B.V.", "loket@salarisnoord.nl"),
    ("Payroll Partners Utrecht", "koppelingen@payrollpartners.nl"),
    ("Administratiekantoor De Vaart", "salaris@devaart.nl"),
    ("HR & Loon Groep", "support@hrloongroep.nl"),
]
EMPLOYERS = [
    "Bakkerij Van Dam", "Installatiebedrijf Koster", "Tandartspraktijk Zuid", "Hovenier Groen & Zn.",
    "Transportbedrijf De Wit", "Architectenbureau Lijn", "Kinderopvang Het Nest", "Drukkerij Peters",
    "Fysiotherapie Centrum", "Autobedrijf Smits", "Restaurant De Gouden Lepel", "ICT Services Oost",
    "Schildersbedrijf Mulder", "Accountants Bos & Partners", "Bouwbedrijf Visser", "Apotheek Centrum",
    "Webshop Fietsonderdelen", "Notariskantoor Hendriks", "Schoonmaakbedrijf Glans", "Dierenkliniek West",
    "Uitgeverij Papier", "Zorgboerderij De Hoeve", "Makelaardij Dekker", "Loodgieter Brouwer",
]
# What a waiting demo registration asks of the processor.
DEMO_REQUEST_ITEMS = ("right_hrm", "right_variable_data")
# (step, waiting, withdrawn) for each demo registration, so every column has cards.
PLAN = (
    [("received", False, False)] * 5
    + [("received", True, False)]
    + [("policy", False, False)] * 4
    + [("policy", True, False)]
    + [("setup", False, False)] * 4
    + [("setup", True, False)]
    + [("realised", False, False)] * 3
    + [("live", False, False)] * 3
    + [("policy", False, True), ("received", False, True)]
)


def _payroll_tax_number(rng: random.Random) -> str:
    while True:
        digits = f"{rng.randrange(10**8, 10**9)}"
        if bsn.is_valid(digits):
            return f"{digits}L{rng.randint(1, 3):02d}"


def _uuid(rng: random.Random) -> str:
    import uuid

    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class _Clock:
    """Moments for a registration's events, in order, from its submission up to now."""

    def __init__(self, start: datetime, rng: random.Random):
        self.now = start
        self.rng = rng
        self.limit = utcnow() - timedelta(minutes=5)

    def after(self, min_hours: float = 1, max_hours: float = 30) -> datetime:
        step = timedelta(hours=self.rng.uniform(min_hours, max_hours))
        self.now = min(self.now + step, self.limit)
        return self.now

    def at(self, moment: datetime) -> datetime:
        self.now = max(self.now, min(moment, self.limit))
        return self.now


def _event(clock_time: datetime, registration: Registration, kind: str, actor: User, **data) -> None:
    record_event(registration, kind, actor=actor, at=clock_time, **data)


@click.command("demo-data")
@click.option("--seed", default=42, show_default=True, help="Random seed, for a repeatable set.")
@with_appcontext
def demo_data_command(seed: int) -> None:
    """Create demo staff accounts and registrations in every step."""
    for email, name, role in DEMO_USERS:
        if db.session.scalar(sa.select(User).where(User.email == email)) is None:
            db.session.add(User(email=email, name=name, role=role, password_hash=hash_password(DEMO_PASSWORD)))
    db.session.commit()
    if db.session.scalar(sa.select(sa.func.count()).select_from(Registration)):
        click.echo("Demo data is already present; left as it is.")
        return

    rng = random.Random(seed)
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    asr, asr2, keylane = users["asr@example.nl"], users["asr2@example.nl"], users["keylane@example.nl"]
    today = today_local()
    first_tax_number = None
    for index, (step, waiting, withdrawn) in enumerate(PLAN):
        processor_name, processor_email = PROCESSORS[index % len(PROCESSORS)]
        contract = f"A020{rng.randint(100000, 999999)}" if index % 7 else f"B11{rng.randint(10000, 99999)}"
        tax_number = _payroll_tax_number(rng)
        first_tax_number = first_tax_number or tax_number
        if index == 4:
            # The same employer once more, from another bureau: a.s.r. sees a possible duplicate.
            tax_number = first_tax_number
        registration, _token = create_registration(
            IntakeData(
                processor_name=processor_name,
                processor_email=processor_email,
                employer_name=EMPLOYERS[index % len(EMPLOYERS)],
                contract_number=contract,
                payroll_tax_number=tax_number,
                loket_employer_id=_uuid(rng),
                pay_frequency="four_weekly" if index % 4 == 0 else "monthly",
                thirteenth_month=index % 3 == 0,
                contract_prefix_warning=not contract.startswith("A020"),
                directors=[("J. de Boer", str(100 + index))] if index % 3 == 0 else [],
            )
        )
        clock = _Clock(_age(registration, rng, step), rng)
        _fill(registration, step, rng, asr if index % 2 else asr2, keylane, today, clock)
        if waiting:
            registration.waiting_reason = "Rechten ontbreken: Raadplegen HRM en Raadplegen variabele gegevens."
            registration.waiting_since = clock.after(2, 48)
            asker = keylane if step == "setup" else asr
            db.session.add(ProcessorRequest(
                registration=registration, message=registration.waiting_reason, opened_by_id=asker.id,
                opened_at=registration.waiting_since,
                items=[ProcessorRequestItem(key=key, position=n) for n, key in enumerate(DEMO_REQUEST_ITEMS)],
            ))
            _event(registration.waiting_since, registration, "waiting_set", asker, reason=registration.waiting_reason,
                   items=list(DEMO_REQUEST_ITEMS))
        if withdrawn:
            registration.withdrawn_reason = "Werkgever is overgestapt naar een andere pensioenuitvoerder."
            registration.withdrawn_at = clock.after(24, 96)
            _event(registration.withdrawn_at, registration, "withdrawn", asr, reason=registration.withdrawn_reason,
                   step=step)
        db.session.commit()
    # The histories above were written with earlier times than the workflow's own;
    # who has the ball since when follows from them.
    for registration_id, clock in load_clocks(sa.select(Registration.id), datetime.max).items():
        db.session.get(Registration, registration_id).ball_since = clock.active_since
    db.session.commit()
    click.echo(f"Created {len(PLAN)} demo registrations.")


def _age(registration: Registration, rng: random.Random, step: str) -> datetime:
    """Spread submission dates over the past weeks, older the further along."""
    depth = STEPS.index(step)
    created = utcnow() - timedelta(days=2 + depth * 9 + rng.randint(0, 8), hours=rng.randint(0, 8))
    registration.created_at = created
    registration.prerequisites_confirmed_at = created
    registration.step_entered_at = created + timedelta(days=depth * 6 + rng.randint(0, 3)) if depth else created
    db.session.execute(
        sa.update(Event).where(Event.registration_id == registration.id, Event.kind == "submitted").values(
            created_at=created
        )
    )
    return created


def _fill(
    registration: Registration, step: str, rng: random.Random, asr: User, keylane: User, today: date, clock: _Clock
) -> None:
    """What staff did on the way to `step`, as the app itself would record it."""
    depth = STEPS.index(step)
    entered = registration.step_entered_at
    # Steps before the current one happen between submission and entering the current step.
    stages = [registration.created_at + (entered - registration.created_at) * (n + 1) / max(depth, 1)
              for n in range(depth)]

    if step == "received" and rng.random() < 0.5:
        registration.assignee_id = asr.id
        _event(clock.after(1, 20), registration, "assigned", asr, before=None, after=asr.id, assignee=asr.name)
    if depth >= 1:
        registration.assignee_id = asr.id
        _event(clock.after(1, 20), registration, "assigned", asr, before=None, after=asr.id, assignee=asr.name)
        _event(clock.at(stages[0]), registration, "step_changed", asr, **{"from": "received", "to": "policy"})
    if depth >= 2 or (depth == 1 and rng.random() < 0.5):
        policy = PolicyRecord(
            registration=registration,
            policy_number=f"PP-{rng.randint(1000000, 9999999)}",
            scheme="a.s.r. Werknemerspensioen (premieovereenkomst)",
            start_date=date(today.year, 1, 1),
            created_by_id=asr.id,
            created_at=clock.after(2, 30),
        )
        db.session.add(policy)
        db.session.flush()
        _event(policy.created_at, registration, "policy_added", asr, policy_id=policy.id,
               policy_number=policy.policy_number, scheme=policy.scheme, start_date=policy.start_date.isoformat(),
               note=None)
    if depth >= 2:
        registration.intake_checked = True
        _event(clock.after(1, 6), registration, "intake_checked", asr)
        _event(clock.at(stages[1]), registration, "step_changed", asr, **{"from": "policy", "to": "setup"})
        registration.assignee_id = keylane.id
        _event(clock.after(1, 4), registration, "assigned", asr, before=asr.id, after=keylane.id,
               assignee=keylane.name)
        ticked = PREREQUISITE_KEYS if depth >= 3 else PREREQUISITE_KEYS[: rng.randint(2, 8)]
        contact_at = clock.after(4, 30)
        contact = ContactLogEntry(
            registration=registration,
            occurred_at=contact_at,
            channel="phone",
            with_whom=registration.processor_name,
            summary="Autorisaties van de Loket.nl-gebruiker samen doorgelopen.",
            follow_up_date=today + timedelta(days=rng.randint(0, 5)) if depth == 2 else None,
            author_id=keylane.id,
            created_at=contact_at,
        )
        db.session.add(contact)
        db.session.flush()
        _event(contact_at, registration, "contact_logged", keylane, contact_id=contact.id,
               occurred_at=contact_at.isoformat(), channel="phone", with_whom=contact.with_whom,
               summary=contact.summary, follow_up_date=contact.follow_up_date.isoformat() if contact.follow_up_date
               else None)
        for key in ticked:
            moment = clock.after(0.1, 2)
            db.session.add(AuthorisationCheck(registration=registration, key=key, checked_by_id=keylane.id,
                                              checked_at=moment))
            _event(moment, registration, "check_ticked", keylane, key=key)
    if depth >= 3:
        registration.first_exchange_date = (
            today + timedelta(days=rng.randint(3, 20)) if depth == 3 else today - timedelta(days=rng.randint(3, 20))
        )
        registration.first_exchange_date_notified = registration.first_exchange_date
        _event(clock.after(1, 8), registration, "first_exchange_date_set", keylane, before=None,
               after=registration.first_exchange_date.isoformat())
        registration.realised_at = clock.at(stages[2])
        _event(registration.realised_at, registration, "step_changed", keylane, **{"from": "setup", "to": "realised"})
    if depth >= 4:
        registration.live_at = clock.at(entered)
        _event(registration.live_at, registration, "step_changed", keylane, **{"from": "realised", "to": "live"},
               confirmed=True)
    clock.at(entered)
    registration.step = step
