"""`flask --app wsgi demo-data`: a realistic set of registrations for trying the app."""

from __future__ import annotations

import random
from datetime import date, timedelta

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from stdnum.nl import bsn

from .auth.passwords import hash_password
from .extensions import db
from .intake.service import IntakeData, create_registration
from .models import (
    AuthorisationCheck,
    ContactLogEntry,
    PolicyRecord,
    Registration,
    User,
    utcnow,
)
from .workflow import PREREQUISITE_KEYS, record_event

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
    today = date.today()
    for index, (step, waiting, withdrawn) in enumerate(PLAN):
        processor_name, processor_email = PROCESSORS[index % len(PROCESSORS)]
        contract = f"A020{rng.randint(100000, 999999)}" if index % 7 else f"B11{rng.randint(10000, 99999)}"
        registration, _token = create_registration(
            IntakeData(
                processor_name=processor_name,
                processor_email=processor_email,
                employer_name=EMPLOYERS[index % len(EMPLOYERS)],
                contract_number=contract,
                payroll_tax_number=_payroll_tax_number(rng),
                loket_employer_id=_uuid(rng),
                pay_frequency="four_weekly" if index % 4 == 0 else "monthly",
                thirteenth_month=index % 3 == 0,
                contract_prefix_warning=not contract.startswith("A020"),
                directors=[("J. de Boer", str(100 + index))] if index % 3 == 0 else [],
            )
        )
        _age(registration, rng, step)
        _fill(registration, step, rng, asr if index % 2 else asr2, keylane, today)
        if waiting:
            registration.waiting_reason = "Rechten ontbreken: Raadplegen HRM en Raadplegen variabele gegevens."
            registration.waiting_since = utcnow() - timedelta(days=rng.randint(1, 6))
            record_event(registration, "waiting_set", actor=keylane if step == "setup" else asr,
                         reason=registration.waiting_reason)
        if withdrawn:
            registration.withdrawn_reason = "Werkgever is overgestapt naar een andere pensioenuitvoerder."
            registration.withdrawn_at = utcnow() - timedelta(days=rng.randint(1, 10))
            record_event(registration, "withdrawn", actor=asr, reason=registration.withdrawn_reason)
        db.session.commit()
    click.echo(f"Created {len(PLAN)} demo registrations.")


def _age(registration: Registration, rng: random.Random, step: str) -> None:
    """Spread submission dates over the past weeks, older the further along."""
    depth = ("received", "policy", "setup", "realised", "live").index(step)
    created = utcnow() - timedelta(days=2 + depth * 9 + rng.randint(0, 8), hours=rng.randint(0, 8))
    registration.created_at = created
    registration.prerequisites_confirmed_at = created
    registration.step_entered_at = created + timedelta(days=depth * 6 + rng.randint(0, 3)) if depth else created


def _fill(registration: Registration, step: str, rng: random.Random, asr: User, keylane: User, today: date) -> None:
    depth = ("received", "policy", "setup", "realised", "live").index(step)
    if step == "received" and rng.random() < 0.5:
        registration.assignee_id = asr.id
        record_event(registration, "assigned", actor=asr, assignee=asr.name)
    if depth >= 1:
        registration.assignee_id = asr.id
        registration.intake_checked = depth >= 2
        record_event(registration, "assigned", actor=asr, assignee=asr.name)
        record_event(registration, "step_changed", actor=asr, **{"from": "received", "to": "policy"})
    if depth >= 2 or (depth == 1 and rng.random() < 0.5):
        db.session.add(
            PolicyRecord(
                registration=registration,
                policy_number=f"PP-{rng.randint(1000000, 9999999)}",
                scheme="a.s.r. Werknemerspensioen (premieovereenkomst)",
                start_date=date(today.year, 1, 1),
                created_by_id=asr.id,
            )
        )
        record_event(registration, "policy_added", actor=asr)
    if depth >= 2:
        registration.assignee_id = keylane.id
        record_event(registration, "step_changed", actor=asr, **{"from": "policy", "to": "setup"})
        ticked = PREREQUISITE_KEYS if depth >= 3 else PREREQUISITE_KEYS[: rng.randint(2, 8)]
        for key in ticked:
            db.session.add(AuthorisationCheck(registration=registration, key=key, checked_by_id=keylane.id))
        db.session.add(
            ContactLogEntry(
                registration=registration,
                occurred_at=utcnow() - timedelta(days=rng.randint(1, 5)),
                channel="phone",
                with_whom=registration.processor_name,
                summary="Autorisaties van de Loket.nl-gebruiker samen doorgelopen.",
                follow_up_date=today + timedelta(days=rng.randint(-2, 5)) if depth == 2 else None,
                author_id=keylane.id,
            )
        )
        record_event(registration, "contact_logged", actor=keylane)
    if depth >= 3:
        registration.first_exchange_date = today + timedelta(days=rng.randint(3, 20)) if depth == 3 else today - timedelta(days=rng.randint(3, 20))
        registration.first_exchange_date_notified = registration.first_exchange_date
        registration.realised_at = utcnow() - timedelta(days=rng.randint(1, 4))
        record_event(registration, "first_exchange_date_set", actor=keylane, date=registration.first_exchange_date.isoformat())
        record_event(registration, "step_changed", actor=keylane, **{"from": "setup", "to": "realised"})
    if depth >= 4:
        registration.live_at = utcnow() - timedelta(days=1)
        record_event(registration, "step_changed", actor=keylane, **{"from": "realised", "to": "live"})
    registration.step = step
