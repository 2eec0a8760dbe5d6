"""Concurrency inside the app: simultaneous submissions, each with its own database
session, as in several gunicorn workers (on PostgreSQL when TEST_DATABASE_URL is set)."""

import sqlalchemy as sa

from caseapp import create_app
from caseapp.config import TestConfig
from caseapp.dates import utcnow
from caseapp.extensions import db
from caseapp.intake.service import IntakeData, create_registration
from caseapp.models import Event, Registration
from tests.production.conftest import dispose_engines
from tests.production.servers import run_together

SUBMISSIONS = 20


def intake(n: int) -> IntakeData:
    return IntakeData(
        processor_name="Salarisbureau Tegelijk", processor_email="tegelijk@example.nl",
        employer_name=f"Werkgever tegelijk {n}", contract_number="A0201234567",
        payroll_tax_number="123456782L01", loket_employer_id=f"00000000-0000-4000-8000-{n:012d}",
        pay_frequency="monthly", thirteenth_month=False, contract_prefix_warning=False,
        directors=[("Directeur", str(n))],
    )


def test_simultaneous_submissions_get_unique_consecutive_references(app, database_url):
    # A connection per thread, so all of them really are in the database at once.
    workers = create_app({"SQLALCHEMY_DATABASE_URI": database_url,
                          "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": SUBMISSIONS, "max_overflow": 0}},
                         config_class=TestConfig)

    def connect(_n):
        with workers.app_context():
            db.session.execute(sa.text("SELECT 1"))
            db.session.remove()

    def submit(n: int) -> str:
        with workers.app_context():
            try:
                registration, _ = create_registration(intake(n))
                return registration.reference
            finally:
                db.session.remove()

    try:
        references = run_together(submit, list(range(SUBMISSIONS)), prepare=connect)
    finally:
        dispose_engines([workers])

    year = utcnow().year
    assert sorted(references) == [f"AW-{year}-{n:05d}" for n in range(1, SUBMISSIONS + 1)]
    stored = db.session.execute(sa.select(Registration.reference, Registration.employer_name)).all()
    assert len(stored) == SUBMISSIONS
    assert {name for _, name in stored} == {f"Werkgever tegelijk {n}" for n in range(SUBMISSIONS)}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == SUBMISSIONS
