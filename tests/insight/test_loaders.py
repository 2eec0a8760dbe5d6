"""Batched loading: clocks and rule facts for many registrations in a fixed number of queries."""

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.insight.clocks import compute_clock, iter_clocks, load_clocks
from caseapp.insight.rules import load_insight
from caseapp.models import Registration
from tests.factories import moved, submitted, through

T0 = datetime(2025, 3, 3, 9, 0)
NOW = datetime(2025, 3, 20, 9, 0)


def test_load_clocks_reads_every_trail_in_one_query(make_history, count_queries):
    histories = [
        [submitted(T0), *through(T0 + timedelta(days=1), "policy", "setup")],
        [submitted(T0), (T0 + timedelta(days=2), "waiting_set", {})],
        [submitted(T0 + timedelta(days=1)), (T0 + timedelta(days=3), "assigned", {})],
    ]
    registrations = [make_history(events) for events in histories]
    ids = [r.id for r in registrations]
    with count_queries() as counter:
        clocks = load_clocks(ids, NOW)
    assert len(counter) == 1
    assert "contact_log_entry" not in counter[0]
    for registration, events in zip(registrations, histories):
        assert clocks[registration.id].by_party == compute_clock(events, NOW).by_party
    assert clocks[ids[1]].active_party == "processor"

    with count_queries() as counter:
        by_select = load_clocks(sa.select(Registration.id), NOW)
    assert len(counter) == 1
    assert set(by_select) == set(ids)
    with count_queries() as counter:
        assert load_clocks([], NOW) == {}
    assert len(counter) == 0


def test_iter_clocks_streams_in_registration_order(make_history):
    ids = [make_history([submitted(T0 + timedelta(hours=n))]).id for n in range(7)]
    streamed = list(iter_clocks(sa.select(Registration.id), NOW, chunk_size=2))
    assert [rid for rid, _clock in streamed] == sorted(ids)


def test_only_the_latest_contact_decides_whether_a_follow_up_is_due(make_history, count_queries):
    answered = make_history(
        [submitted(T0)],
        contacts=[(T0 + timedelta(days=1), date(2025, 3, 10)), (T0 + timedelta(days=9), None)],
    )
    open_ = make_history([submitted(T0)], contacts=[(T0 + timedelta(days=1), date(2025, 3, 10))])
    later = make_history([submitted(T0)], contacts=[(T0 + timedelta(days=15), date(2025, 3, 21))])
    ids = [answered.id, open_.id, later.id]
    with count_queries() as counter:
        insight = load_insight(ids, NOW, limit=5)
    assert len(counter) == 1  # the rows and each one's latest contact, joined
    assert insight[answered.id].due is None
    assert insight[open_.id].due == date(2025, 3, 10)
    assert insight[later.id].due is None  # 21 March is tomorrow
    # a contact restarts the stale count: 12 March -> 20 March is 6 working days, 18 -> 20 March 2
    assert insight[answered.id].stale_days == 6 and insight[later.id].stale_days == 2


def test_a_link_waiting_for_its_first_exchange_is_not_stale_until_the_date_has_passed(make_history):
    events = [submitted(T0), *through(T0, "policy", "setup", "realised")]
    waiting_for_date = make_history(events)
    waiting_for_date.first_exchange_date = date(2025, 3, 25)
    date_passed = make_history(events)
    date_passed.first_exchange_date = date(2025, 3, 10)
    db.session.commit()
    insight = load_insight([waiting_for_date.id, date_passed.id], NOW, limit=5)
    assert insight[waiting_for_date.id].stale_days == 0 and not insight[waiting_for_date.id].stale
    assert insight[date_passed.id].stale_days == 8 and insight[date_passed.id].stale


def test_moving_back_is_read_from_the_trail(make_history):
    events = [
        submitted(T0),
        *through(T0 + timedelta(days=1), "policy", "setup"),
        moved(T0 + timedelta(days=5), "setup", "policy", reason="polis onjuist", direction="back"),
    ]
    registration = make_history(events)
    clock = load_clocks([registration.id], NOW)[registration.id]
    assert clock.step == "policy" and clock.active_party == "asr"
    assert clock.active_since == T0 + timedelta(days=5)
