"""Fill a database with N realistic registrations for the benchmark.

Rows go in with Core bulk inserts (executemany / insertmanyvalues), in chunks,
so 50,000 registrations with their related rows take a minute, not an hour.
Every registration gets directors, a policy record, ~10 events, a few contacts
and authorisation checks, spread over the steps the way a live desk looks.

Every registration's status-link token is known: status_token(id, rng_seed)
(only its hash is stored, as the app does), so the benchmark can open the
status page of any of them. Staff log in with STAFF_PASSWORD.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from stdnum.nl import bsn

from caseapp.auth.passwords import hash_password
from caseapp.dates import utcnow
from caseapp.extensions import db
from caseapp.insight.clocks import ball_since_after
from caseapp.models import (
    AuthorisationCheck,
    ContactLogEntry,
    Director,
    Event,
    PolicyRecord,
    ReferenceCounter,
    Registration,
    User,
    hash_token,
)
from caseapp.process import PREREQUISITE_KEYS, STEPS

CHUNK = 2000
STAFF_PASSWORD = "bench-wachtwoord"
# Share of registrations per step: most are done, a working set is open.
STEP_WEIGHTS = {"received": 0.06, "policy": 0.06, "setup": 0.08, "realised": 0.05, "live": 0.75}
WORDS = ["Bakkerij", "Installatie", "Transport", "Zorg", "Techniek", "Bouw", "Handel", "Advies", "Groen", "Data",
         "Noord", "Zuid", "Oost", "West", "Holland", "Brabant", "Utrecht", "Delta", "Polder", "Kust"]
FORMS = ["B.V.", "Holding B.V.", "& Zn.", "V.O.F.", "Groep", "Services"]


def tax_number(rng: random.Random) -> str:
    """A loonheffingennummer whose 9 digits pass the 11-test. The check digit is
    computed (drawing until stdnum agreed took half the seeding time); stdnum
    still has the last word."""
    while True:
        first = [rng.randrange(1, 10)] + [rng.randrange(10) for _ in range(7)]
        check = sum(digit * weight for digit, weight in zip(first, range(9, 1, -1))) % 11
        digits = "".join(map(str, first)) + str(check)
        if check < 10 and bsn.is_valid(digits):
            return f"{digits}L{rng.randint(1, 3):02d}"


def status_token(registration_id: int, rng_seed: int = 7) -> str:
    """The status-link token of a seeded registration (43 characters, like the app's)."""
    return hashlib.sha256(f"caseapp-bench:{rng_seed}:{registration_id}".encode()).hexdigest()[:43]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(FORMS)}"[:70]


def seed(n: int, rng_seed: int = 7, now: datetime | None = None, related: bool = True) -> dict[str, int]:
    """Insert n registrations (and staff users) into the current app's database.

    With related=False only the registrations themselves, no DGAs, policy records,
    checks, contacts or events: quicker, for tests about the registration table.
    """
    rng = random.Random(rng_seed)
    now = now or utcnow().replace(microsecond=0)
    staff = _staff()
    processors = [(_name(rng), f"salaris{i}@bureau{i}.nl") for i in range(max(20, n // 50))]
    steps = list(STEP_WEIGHTS)
    weights = list(STEP_WEIGHTS.values())

    counts = {"registration": 0, "event": 0, "director": 0, "policy_record": 0, "contact_log_entry": 0,
              "authorisation_check": 0}
    next_id = (db.session.scalar(sa.select(sa.func.max(Registration.id))) or 0) + 1
    # References are numbered per year, by the same counter the intake uses.
    counters = {year: last for year, last in db.session.execute(sa.select(ReferenceCounter.year, ReferenceCounter.last_value))}
    for start in range(0, n, CHUNK):
        rows = {key: [] for key in counts}
        for offset in range(min(CHUNK, n - start)):
            reg_id = next_id + start + offset
            step = rng.choices(steps, weights)[0]
            _one(rng, reg_id, step, now, staff, processors, rows, rng_seed, counters, related)
        for table, key in ((Registration, "registration"), (Director, "director"), (PolicyRecord, "policy_record"),
                           (AuthorisationCheck, "authorisation_check"), (ContactLogEntry, "contact_log_entry"),
                           (Event, "event")):
            if rows[key]:
                db.session.execute(sa.insert(table), rows[key])
                counts[key] += len(rows[key])
        db.session.commit()
    for year, last_value in counters.items():
        _set_counter(year, last_value)
    if db.session.get_bind().dialect.name == "postgresql":
        for table in ("registration", "director", "policy_record", "authorisation_check", "contact_log_entry", "event"):
            db.session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"))
        db.session.commit()
        # VACUUM as well: a live database is vacuumed by autovacuum, and without a
        # visibility map no index-only scan is possible (the board's counts).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return counts


def _staff() -> dict[str, list[int]]:
    if not db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        password = hash_password(STAFF_PASSWORD)
        for i in range(4):
            db.session.add(User(email=f"asr{i}@bench.nl", name=f"a.s.r. medewerker {i}", role="asr", password_hash=password))
            db.session.add(User(email=f"keylane{i}@bench.nl", name=f"Keylane engineer {i}", role="keylane", password_hash=password))
        db.session.add(User(email="admin@bench.nl", name="Beheerder", role="admin", password_hash=password))
        db.session.commit()
    users = db.session.execute(sa.select(User.id, User.role)).all()
    return {role: [uid for uid, r in users if r == role] for role in ("asr", "keylane", "admin")}


def _one(rng, reg_id, step, now, staff, processors, rows, rng_seed, counters, related) -> None:
    depth = STEPS.index(step)
    created = now - timedelta(days=rng.randint(1 + depth * 10, 30 + depth * 60), minutes=rng.randint(0, 600))
    entered = created + (now - created) * rng.uniform(0.3, 0.9) if depth else created
    processor_name, processor_email = rng.choice(processors)
    asr = rng.choice(staff["asr"])
    keylane = rng.choice(staff["keylane"])
    exchange = None
    if depth >= 3:
        exchange = (now + timedelta(days=rng.randint(2, 30))).date() if step == "realised" else (entered - timedelta(days=rng.randint(0, 10))).date()
    withdrawn = depth < 4 and rng.random() < 0.05
    waiting = depth < 4 and not withdrawn and rng.random() < 0.12
    contract = f"A020{rng.randint(100000, 999999)}" if rng.random() > 0.06 else f"B{rng.randint(1000000, 9999999)}"
    counters[created.year] = counters.get(created.year, 0) + 1
    rows["registration"].append(dict(
        id=reg_id, reference=f"AW-{created.year}-{counters[created.year]:05d}", processor_name=processor_name,
        processor_email=processor_email, employer_name=_name(rng), contract_number=contract,
        payroll_tax_number=tax_number(rng), loket_employer_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        pay_frequency=rng.choice(["monthly", "monthly", "four_weekly"]), thirteenth_month=rng.random() < 0.3,
        prerequisites_confirmed_at=created, contract_prefix_warning=not contract.startswith("A020"),
        possible_duplicate=rng.random() < 0.02, intake_checked=depth >= 2, step=step, step_entered_at=entered,
        assignee_id=(keylane if depth >= 2 else asr) if depth or rng.random() < 0.5 else None,
        waiting_reason="Rechten ontbreken in Loket.nl." if waiting else None,
        waiting_since=entered + timedelta(days=1) if waiting else None,
        withdrawn_reason="Werkgever stapt over." if withdrawn else None,
        withdrawn_at=entered + timedelta(days=2) if withdrawn else None,
        first_exchange_date=exchange, first_exchange_date_notified=exchange,
        realised_at=entered if depth == 3 else (entered - timedelta(days=10) if depth == 4 else None),
        live_at=entered if depth == 4 else None, status_token_hash=hash_token(status_token(reg_id, rng_seed)),
        version=1, created_at=created, updated_at=entered,
    ))
    if not related:
        # No trail: what migration 0008 gives a registration without one.
        row = rows["registration"][-1]
        row["ball_since"] = None if withdrawn or depth == 4 else row["waiting_since"] or entered
        return
    for position in range(rng.choice([0, 0, 1, 1, 2])):
        rows["director"].append(dict(registration_id=reg_id, position=position, name=f"DGA {position + 1}",
                                     personnel_number=str(100 + position)))
    if depth >= 1:
        rows["policy_record"].append(dict(registration_id=reg_id, policy_number=f"PP-{rng.randint(10**6, 10**7 - 1)}",
                                          scheme="Werknemerspensioen", start_date=date(created.year, 1, 1),
                                          note=None, created_by_id=asr, created_at=entered, updated_at=entered))
    if depth >= 2:
        ticked = PREREQUISITE_KEYS if depth >= 3 else PREREQUISITE_KEYS[: rng.randint(0, len(PREREQUISITE_KEYS))]
        rows["authorisation_check"].extend(
            dict(registration_id=reg_id, key=key, checked_by_id=keylane, checked_at=entered) for key in ticked)
        for c in range(rng.randint(1, 4)):
            rows["contact_log_entry"].append(dict(
                registration_id=reg_id, occurred_at=entered + timedelta(hours=c * 20), channel=rng.choice(["phone", "email", "meeting"]),
                with_whom=processor_name, summary="Autorisaties doorgenomen met de salarisverwerker.",
                follow_up_date=(now + timedelta(days=rng.randint(-5, 10))).date() if c == 0 and depth == 2 else None,
                author_id=keylane, created_at=entered))
    # ~10 events: submission, assignment, step changes, edits, contacts.
    t = created
    events = [("submitted", None, "processor", {"possible_duplicate_of": []})]
    events.append(("assigned", asr, None, {"before": None, "after": asr}))
    for s in range(depth):
        events.append(("step_changed", asr if s < 2 else keylane, None, {"from": STEPS[s], "to": STEPS[s + 1]}))
    while len(events) < 10:
        events.append(rng.choice([("intake_edited", asr, None, {"changes": {"employer_name": {"before": "Oud", "after": "Nieuw"}}}),
                                  ("contact_logged", keylane, None, {}), ("check_ticked", keylane, None, {"key": "right_hrm"})]))
    span = max((entered - created).total_seconds(), 3600)
    timed = [(created + timedelta(seconds=span * i / len(events)), *event) for i, event in enumerate(events)]
    owner = keylane if depth >= 2 else asr
    if waiting:
        timed[-1] = (entered + timedelta(days=1), "waiting_set", owner, None, {"reason": "Rechten ontbreken in Loket.nl."})
    if withdrawn:
        timed[-1] = (entered + timedelta(days=2), "withdrawn", asr, None, {"reason": "Werkgever stapt over.", "step": step})
    for t, kind, actor, label, data in timed:
        rows["event"].append(dict(registration_id=reg_id, kind=kind, actor_id=actor, actor_label=label, data=data, created_at=t))
    # What the workflow keeps on the row, from the same trail.
    rows["registration"][-1]["ball_since"] = ball_since_after([(t, kind, data) for t, kind, _, _, data in timed])


def _set_counter(year: int, value: int) -> None:
    counter = db.session.get(ReferenceCounter, year)
    if counter is None:
        db.session.add(ReferenceCounter(year=year, last_value=value))
    else:
        counter.last_value = max(counter.last_value, value)
    db.session.commit()
