"""The schema is built by migrations; they must agree with the models."""

import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from caseapp import create_app
from caseapp.config import TestConfig
from caseapp.extensions import db
from caseapp.models import (
    POSTGRESQL_ONLY_INDEXES,
    SEARCHED_COLUMNS,
    include_in_schema_compare,
)
from tests.conftest import create_throwaway_database, drop_database


@pytest.fixture()
def empty_database(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url = create_throwaway_database(base)
        yield url
        drop_database(url)
    else:
        yield "sqlite:///" + str(tmp_path / "migrations.sqlite")


@pytest.fixture()
def migration_app(empty_database):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database}, config_class=TestConfig)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_upgrade_from_empty_builds_the_schema_the_models_describe(migration_app):
    upgrade()
    with db.engine.connect() as connection:
        # The same rule as `flask db migrate` (migrations/env.py): the trigram index is
        # declared on the model for PostgreSQL and is not expected on SQLite.
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": include_in_schema_compare(connection.dialect.name)})
        diff = compare_metadata(context, db.metadata)
    assert diff == []
    tables = set(sa.inspect(db.engine).get_table_names())
    assert {"registration", "director", "policy_record", "authorisation_check", "contact_log_entry",
            "event", "outbox_message", "user", "reference_counter"} <= tables


def _leftovers() -> list[str]:
    """Every schema object except Alembic's own table (and its index/key)."""
    if db.engine.dialect.name == "postgresql":
        query = ("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                 "UNION ALL SELECT typname FROM pg_type WHERE typnamespace = 'public'::regnamespace "
                 "AND typtype IN ('e', 'd')")
    else:
        query = "SELECT name FROM sqlite_master"
    with db.engine.connect() as connection:
        names = connection.execute(sa.text(query)).scalars()
        return sorted(name for name in names if "alembic_version" not in name)


def test_downgrade_to_empty_removes_everything(migration_app):
    upgrade()
    downgrade(revision="base")
    assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
    assert _leftovers() == []  # no sequence, index, type or constraint left behind
    upgrade()  # and back up again


def test_outbox_messages_queued_before_0002_get_their_own_message_id(migration_app):
    upgrade(revision="0001")
    with db.engine.begin() as connection:
        for _ in range(2):
            connection.execute(sa.text(
                "INSERT INTO outbox_message (kind, recipient, subject, body_text, status, attempts,"
                " next_attempt_at, created_at) VALUES ('test', 'a@example.nl', 'Onderwerp', 'Tekst',"
                " 'queued', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ))
    upgrade()
    with db.engine.connect() as connection:
        message_ids = connection.execute(sa.text("SELECT message_id FROM outbox_message ORDER BY id")).scalars().all()
    assert len(message_ids) == 2 and len(set(message_ids)) == 2
    assert all(m.startswith("<outbox-") and m.endswith("@caseapp.invalid>") for m in message_ids)


def test_the_board_search_indexes_are_trigram_gin_on_postgresql_and_absent_on_sqlite(migration_app):
    # Alembic compares an index's columns, not its method or operator class: checked here.
    upgrade()
    indexes = {index["name"] for index in sa.inspect(db.engine).get_indexes("registration")}
    assert "ix_registration_counts" in indexes
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            definitions = connection.execute(sa.text(
                "SELECT indexdef FROM pg_indexes WHERE indexname LIKE 'ix_registration_search_%'")).scalars().all()
        assert len(definitions) == len(SEARCHED_COLUMNS)
        assert all("USING gin" in d and "gin_trgm_ops" in d for d in definitions), definitions
    else:
        assert not POSTGRESQL_ONLY_INDEXES & indexes


def test_0008_fills_ball_since_from_each_registrations_event_trail(migration_app):
    from datetime import datetime, timedelta

    upgrade(revision="0007_search")
    t0 = datetime(2026, 3, 2, 9, 0)
    day = timedelta(days=1)
    metadata = sa.MetaData()
    with db.engine.begin() as connection:
        registration = sa.Table("registration", metadata, autoload_with=connection)
        event = sa.Table("event", metadata, autoload_with=connection)

        def add(reference: str, step: str, entered, trail, **columns) -> int:
            row = dict(
                reference=reference, processor_name="Salarisbureau", processor_email="a@example.nl",
                employer_name="Werkgever", contract_number="A0201234567", payroll_tax_number="123456782L01",
                loket_employer_id="b14acd0d-75d7-4fc8-8b22-4a3924585cab", pay_frequency="monthly",
                thirteenth_month=False, prerequisites_confirmed_at=t0, contract_prefix_warning=False,
                possible_duplicate=False, intake_checked=False, step=step, step_entered_at=entered,
                status_token_hash=reference.ljust(64, "0"), version=1, created_at=t0, updated_at=t0, **columns,
            )
            rid = connection.execute(sa.insert(registration).values(row)).inserted_primary_key[0]
            for at, kind, data in trail:
                connection.execute(sa.insert(event).values(registration_id=rid, kind=kind, data=data, created_at=at))
            return rid

        handed_over = add("AW-1", "setup", t0 + 3 * day, [
            (t0, "submitted", {}),
            (t0 + day, "step_changed", {"from": "received", "to": "policy"}),
            (t0 + 3 * day, "step_changed", {"from": "policy", "to": "setup"}),
            (t0 + 4 * day, "contact_logged", {}),
        ])
        same_team = add("AW-2", "policy", t0 + day, [
            (t0, "submitted", {}), (t0 + day, "step_changed", {"from": "received", "to": "policy"}),
        ])
        waiting = add("AW-3", "received", t0, [(t0, "submitted", {}), (t0 + 2 * day, "waiting_set", {})],
                      waiting_since=t0 + 2 * day, waiting_reason="Rechten")
        live = add("AW-4", "live", t0 + 5 * day, [
            (t0, "submitted", {}), (t0 + 5 * day, "step_changed", {"from": "realised", "to": "live"}),
        ])
        without_trail = add("AW-5", "policy", t0 + 6 * day, [])
        resumed = add("AW-6", "received", t0, [
            (t0, "submitted", {}), (t0 + day, "waiting_set", {}), (t0 + 2 * day, "waiting_cleared", {}),
        ])
        withdrawn = add("AW-7", "received", t0, [(t0, "submitted", {}), (t0 + day, "withdrawn", {})],
                        withdrawn_at=t0 + day, withdrawn_reason="Overgestapt")
    upgrade()
    with db.engine.connect() as connection:
        found = dict(connection.execute(sa.text("SELECT id, ball_since FROM registration")).all())
    as_datetime = lambda value: value if value is None or isinstance(value, datetime) else datetime.fromisoformat(value)  # noqa: E731
    found = {rid: as_datetime(value) for rid, value in found.items()}
    assert found[handed_over] == t0 + 3 * day  # Keylane since the hand-over; a contact does not move the ball
    assert found[same_team] == t0  # a.s.r. since the submission, through two of its steps
    assert found[waiting] == t0 + 2 * day  # the processor since the wait began
    assert found[live] is None  # nobody has to act
    assert found[without_trail] == t0 + 6 * day  # no trail: the team since its step began
    assert found[resumed] == t0 + 2 * day  # a.s.r. again since the wait ended, not since the step began
    assert found[withdrawn] is None  # nobody has to act while withdrawn


def test_0010_gives_every_wait_begun_before_it_an_open_request(migration_app):
    from datetime import datetime

    upgrade(revision="0008_ball_since")
    t0 = datetime(2026, 3, 2, 9, 0)
    metadata = sa.MetaData()
    with db.engine.begin() as connection:
        registration = sa.Table("registration", metadata, autoload_with=connection)

        def add(reference: str, **columns) -> int:
            row = dict(
                reference=reference, processor_name="Salarisbureau", processor_email="a@example.nl",
                employer_name="Werkgever", contract_number="A0201234567", payroll_tax_number="123456782L01",
                loket_employer_id="b14acd0d-75d7-4fc8-8b22-4a3924585cab", pay_frequency="monthly",
                thirteenth_month=False, prerequisites_confirmed_at=t0, contract_prefix_warning=False,
                possible_duplicate=False, intake_checked=False, step="setup", step_entered_at=t0,
                status_token_hash=reference.ljust(64, "0"), version=1, created_at=t0, updated_at=t0, **columns,
            )
            return connection.execute(sa.insert(registration).values(row)).inserted_primary_key[0]

        waiting = add("AW-1", waiting_since=t0, waiting_reason="Rechten ontbreken")
        add("AW-2")
    upgrade()
    with db.engine.connect() as connection:
        requests = connection.execute(sa.text(
            "SELECT r.registration_id, r.message, r.opened_at, r.closed_at, i.key FROM processor_request r "
            "JOIN processor_request_item i ON i.request_id = r.id")).all()
    assert len(requests) == 1
    [(registration_id, message, opened_at, closed_at, key)] = requests
    assert (registration_id, message, closed_at, key) == (waiting, "Rechten ontbreken", None, "other")
    assert str(opened_at).startswith("2026-03-02 09:00")
