"""`flask --app wsgi retention purge`: what the database holds afterwards."""

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from caseapp.changes import record_event
from caseapp.dates import utcnow
from caseapp.extensions import db
from caseapp.models import (
    Attachment,
    ContactLogEntry,
    Director,
    Event,
    OutboxMessage,
    PolicyRecord,
    ProcessorRequest,
    ProcessorRequestItem,
    Registration,
    User,
)
from caseapp.retention import REMOVED, months_before, scrub

PERSONAL = [
    "Salarisbureau Privé B.V.", "privacy@salarisprive.nl", "Bakkerij Geheim", "A0209998887", "111222333L01",
    "0f0e0d0c-0b0a-4000-8000-000000000123", "Jan Directeur", "47110815", "Piet Partner", "47120815",
    "POLIS-778899", "notitie over premie", "Marieke van Loon", "gesprek over rechten", "rechten ontbreken bij Jan",
    "werkgever stopt ermee", "Bakkerij Geheim & Zn.", "vraag aan Jan over HRM", "Jan zegt: HRM staat aan",
    "scherm-van-jan",
]
SCREENSHOT = b"\x89PNG\r\n\x1a\n" + "gebruiker Jan Directeur".encode()


@pytest.fixture()
def staff(app):
    user = User(email="keylane@example.nl", name="Kees", role="keylane", password_hash="x")
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture()
def closed_registration(make_registration, staff):
    """A registration live for 13 months, with every kind of personal data attached."""

    def _make(how="live", months_ago=13):
        registration, token = make_registration(
            processor_name="Salarisbureau Privé B.V.", processor_email="privacy@salarisprive.nl",
            employer_name="Bakkerij Geheim", contract_number="A0209998887", payroll_tax_number="111222333L01",
            loket_employer_id="0f0e0d0c-0b0a-4000-8000-000000000123",
            directors=[("Jan Directeur", "47110815"), ("Piet Partner", "47120815")], pay_frequency="four_weekly",
            thirteenth_month=True, contract_prefix_warning=True,
        )
        closed_at = months_before(utcnow(), months_ago) - timedelta(days=1)
        registration.first_exchange_date = date(2025, 3, 1)
        registration.waiting_reason = "rechten ontbreken bij Jan"
        if how == "live":
            registration.step, registration.live_at, registration.realised_at = "live", closed_at, closed_at
        else:
            registration.step = "setup"
            registration.withdrawn_at, registration.withdrawn_reason = closed_at, "werkgever stopt ermee"
        db.session.add(PolicyRecord(registration=registration, policy_number="POLIS-778899", scheme="Regeling Basis",
                                    start_date=date(2025, 1, 1), note="notitie over premie", created_by_id=staff.id))
        db.session.add(ContactLogEntry(registration=registration, occurred_at=closed_at, channel="phone",
                                       with_whom="Marieke van Loon", summary="gesprek over rechten",
                                       author_id=staff.id))
        db.session.add(ProcessorRequest(
            registration=registration, message="vraag aan Jan over HRM", opened_by_id=staff.id, opened_at=closed_at,
            closed_at=closed_at, answered_at=closed_at, answer="done", answer_comment="Jan zegt: HRM staat aan",
            items=[ProcessorRequestItem(key="right_hrm")],
            attachment=Attachment(filename="scherm-van-jan.png", content_type="image/png", size=len(SCREENSHOT),
                                  sha256="0" * 64, data=SCREENSHOT),
        ))
        record_event(registration, "edited", actor=staff, field="employer_name", before="Bakkerij Geheim",
                     after="Bakkerij Geheim & Zn.", version=2)
        record_event(registration, "moved", actor=staff, **{"from": "setup", "to": "realised"},
                     on="2025-02-01", reason="gesprek met Marieke van Loon")
        db.session.add(OutboxMessage(registration_id=registration.id, kind="realised", recipient="privacy@salarisprive.nl",
                                     subject="Koppeling Bakkerij Geheim gerealiseerd",
                                     body_text="Beste Salarisbureau Privé B.V., ... /status/" + token,
                                     body_html="<p>Bakkerij Geheim</p>", status="sent",
                                     last_error="550 privacy@salarisprive.nl unknown", message_id="<1@test>"))
        db.session.add(OutboxMessage(registration_id=registration.id, kind="reminder", recipient="privacy@salarisprive.nl",
                                     subject="Herinnering", body_text="Bakkerij Geheim", message_id="<2@test>"))
        db.session.commit()
        return registration, token

    return _make


def purge(runner, *args):
    result = runner.invoke(args=["retention", "purge", *args])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def everything_stored_about(registration_id: int) -> str:
    """Every row that belongs to the registration, as text."""
    tables = {
        Registration.__table__: Registration.__table__.c.id,
        Director.__table__: Director.__table__.c.registration_id,
        PolicyRecord.__table__: PolicyRecord.__table__.c.registration_id,
        ContactLogEntry.__table__: ContactLogEntry.__table__.c.registration_id,
        Event.__table__: Event.__table__.c.registration_id,
        OutboxMessage.__table__: OutboxMessage.__table__.c.registration_id,
        ProcessorRequest.__table__: ProcessorRequest.__table__.c.registration_id,
    }
    rows = []
    for table, column in tables.items():
        rows += [str(dict(row)) for row in db.session.execute(sa.select(table).where(column == registration_id)).mappings()]
    requests = sa.select(ProcessorRequest.id).where(ProcessorRequest.registration_id == registration_id)
    for table in (Attachment.__table__, ProcessorRequestItem.__table__):
        found = db.session.execute(sa.select(table).where(table.c.request_id.in_(requests))).mappings()
        rows += [str({key: value.decode("latin-1") if isinstance(value, bytes) else value for key, value in row.items()})
                 for row in found]
    return "\n".join(rows)


@pytest.mark.parametrize("how", ["live", "withdrawn"])
def test_purge_leaves_no_personal_value_in_any_table(runner, closed_registration, how):
    registration, token = closed_registration(how)
    before = everything_stored_about(registration.id)
    withdrawal_reason = "werkgever stopt ermee"
    assert all(value in before for value in PERSONAL if value != withdrawal_reason or how == "withdrawn")

    output = purge(runner, "--older-than", "12")
    assert f"purged {registration.reference} ({how} since" in output

    after = everything_stored_about(registration.id)
    for value in PERSONAL + [token]:
        assert value not in after


def test_purge_keeps_an_anonymised_record_for_the_statistics(runner, closed_registration):
    registration, _ = closed_registration()
    created_at, live_at = registration.created_at, registration.live_at
    purge(runner, "--older-than", "12")

    kept = db.session.get(Registration, registration.id)
    assert kept.reference == registration.reference and kept.step == "live"
    assert kept.created_at == created_at and kept.live_at == live_at and kept.realised_at == live_at
    assert kept.first_exchange_date == date(2025, 3, 1)
    assert kept.pay_frequency == "four_weekly" and kept.thirteenth_month and kept.contract_prefix_warning
    assert kept.anonymised_at is not None
    assert kept.employer_name == "" and kept.processor_email == "" and kept.contract_number == ""
    assert kept.waiting_reason is None and kept.withdrawn_reason is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Director)) == 0

    [policy] = db.session.scalars(sa.select(PolicyRecord)).all()
    assert (policy.scheme, policy.start_date, policy.policy_number, policy.note) == \
        ("Regeling Basis", date(2025, 1, 1), "", None)
    [contact] = db.session.scalars(sa.select(ContactLogEntry)).all()
    assert (contact.channel, contact.with_whom, contact.summary) == ("phone", "", "")
    # What was asked and answered, and when, stays; what was written and attached goes.
    [request] = db.session.scalars(sa.select(ProcessorRequest)).all()
    assert (request.answer, request.message, request.answer_comment) == ("done", "", None)
    assert request.answered_at is not None and request.closed_at is not None
    assert db.session.scalars(sa.select(ProcessorRequestItem.key)).all() == ["right_hrm"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0

    events = {event.kind: event for event in db.session.scalars(sa.select(Event))}
    assert events["edited"].data == {"field": "employer_name", "before": REMOVED, "after": REMOVED, "version": 2}
    assert events["moved"].data == {"from": "setup", "to": "realised", "on": "2025-02-01", "reason": REMOVED}
    assert events["submitted"].data["contract_prefix_warning"] is True
    purged = events["personal_data_purged"]
    assert purged.actor_label == "system"
    assert purged.data == {"older_than_months": 12, "directors": 2, "policies": 1, "contacts": 1,
                           "requests": 1, "attachments": 1, "events": 3, "messages": 4}


def test_purged_messages_are_emptied_and_never_sent(runner, closed_registration):
    closed_registration()
    purge(runner, "--older-than", "12")
    messages = {message.kind: message for message in db.session.scalars(sa.select(OutboxMessage))}
    assert messages["realised"].status == "sent" and messages["reminder"].status == "failed"
    for message in messages.values():
        assert (message.recipient, message.subject, message.body_text, message.body_html, message.last_error) == \
            ("", "", "", None, None)


def test_the_status_link_stops_working(runner, client, closed_registration):
    _, token = closed_registration()
    assert client.get(f"/status/{token}").status_code == 200
    purge(runner, "--older-than", "12")
    assert client.get(f"/status/{token}").status_code == 404


def test_recent_and_open_registrations_are_left_alone(runner, closed_registration, make_registration):
    recent, _ = closed_registration(months_ago=11)
    open_one, _ = make_registration(step="setup")
    recent_before = everything_stored_about(recent.id)
    open_before = everything_stored_about(open_one.id)

    assert "0 registration(s) purged." in purge(runner, "--older-than", "12")
    assert everything_stored_about(recent.id) == recent_before
    assert everything_stored_about(open_one.id) == open_before


def test_purging_twice_changes_nothing_the_second_time(runner, closed_registration):
    registration, _ = closed_registration()
    assert "1 registration(s) purged." in purge(runner, "--older-than", "12")
    after_first = everything_stored_about(registration.id)
    assert "0 registration(s) purged." in purge(runner, "--older-than", "12")
    assert everything_stored_about(registration.id) == after_first


def test_dry_run_lists_what_it_would_purge_and_changes_nothing(runner, closed_registration):
    registration, _ = closed_registration("withdrawn")
    before = everything_stored_about(registration.id)
    output = purge(runner, "--older-than", "12", "--dry-run")
    assert f"would purge {registration.reference} (withdrawn since" in output
    assert "1 registration(s) would be purged." in output
    assert everything_stored_about(registration.id) == before


@pytest.mark.parametrize("args", [[], ["--older-than", "0"], ["--older-than", "twaalf"]])
def test_purge_needs_a_positive_number_of_months(runner, args):
    assert runner.invoke(args=["retention", "purge", *args]).exit_code != 0


@pytest.mark.parametrize("moment, months, expected", [
    (datetime(2026, 3, 31, 12, 0), 1, datetime(2026, 2, 28, 12, 0)),
    (datetime(2026, 1, 15), 12, datetime(2025, 1, 15)),
    (datetime(2026, 1, 15), 13, datetime(2024, 12, 15)),
    (datetime(2024, 2, 29), 12, datetime(2023, 2, 28)),
])
def test_months_before(moment, months, expected):
    assert months_before(moment, months) == expected


def test_scrub_keeps_vocabulary_and_removes_the_rest():
    data = {"from": "policy", "to": "setup", "checks": ["right_bsn", "Jan"], "count": 3, "ok": True, "none": None,
            "duplicates": ["AW-2026-00012"], "date": "2026-02-01", "when": "2026-02-01T10:00:00",
            "note": "bel Jan", "email": "jan@example.nl", "nested": {"after": "monthly", "name": "Employer BV"}}
    assert scrub(data, {"Employer BV"}) == {
        "from": "policy", "to": "setup", "checks": ["right_bsn", REMOVED], "count": 3, "ok": True, "none": None,
        "duplicates": ["AW-2026-00012"], "date": "2026-02-01", "when": "2026-02-01T10:00:00",
        "note": REMOVED, "email": REMOVED, "nested": {"after": "monthly", "name": REMOVED},
    }
