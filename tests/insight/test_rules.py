"""Working days, stale and due (pure functions, fixed dates)."""

from datetime import date, datetime, timedelta

import pytest

from caseapp.dates import (
    add_working_days,
    dutch_holidays,
    easter_sunday,
    is_working_day,
    local_date,
    local_midnight_utc,
    working_days_between,
)
from caseapp.insight.clocks import compute_clock
from caseapp.insight.rules import ContactSummary, assess, due_follow_up


@pytest.mark.parametrize(
    "start, end, expected",
    [
        (date(2025, 3, 7), date(2025, 3, 10), 1),  # Friday -> Monday
        (date(2025, 3, 7), date(2025, 3, 8), 0),  # Friday -> Saturday
        (date(2025, 3, 8), date(2025, 3, 9), 0),  # weekend only
        (date(2025, 3, 3), date(2025, 3, 10), 5),  # Monday -> next Monday
        (date(2025, 3, 3), date(2025, 3, 11), 6),
        (date(2025, 3, 3), date(2025, 3, 3), 0),
        (date(2025, 3, 10), date(2025, 3, 3), 0),  # end before start
        (date(2025, 3, 3), date(2025, 3, 31), 20),  # four whole weeks
        (date(2025, 4, 17), date(2025, 4, 22), 2),  # Goede Vrijdag counts, tweede paasdag 21-4 does not
        (date(2024, 12, 20), date(2025, 1, 3), 7),  # Christmas, Boxing Day and New Year's Day off
    ],
)
def test_working_days_between_counts_weekdays_after_start_up_to_end(start, end, expected):
    assert working_days_between(start, end) == expected


def test_working_days_between_agrees_with_counting_day_by_day():
    start = date(2024, 1, 1)
    for span in range(0, 800, 7):
        end = start + timedelta(days=span + 3)
        by_hand = sum(1 for n in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=n)))
        assert working_days_between(start, end) == by_hand


def test_add_working_days_skips_weekends_and_holidays():
    assert add_working_days(date(2025, 3, 7), 1) == date(2025, 3, 10)
    assert add_working_days(date(2025, 12, 24), 1) == date(2025, 12, 29)
    assert add_working_days(date(2025, 3, 7), 0) == date(2025, 3, 7)


def test_dutch_holidays_follow_the_algemene_termijnenwet():
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert easter_sunday(2026) == date(2026, 4, 5)
    assert dutch_holidays(2025) == {
        date(2025, 1, 1), date(2025, 4, 21), date(2025, 4, 26),  # 27 April 2025 is a Sunday
        date(2025, 5, 5), date(2025, 5, 29), date(2025, 6, 9), date(2025, 12, 25), date(2025, 12, 26),
    }
    assert date(2026, 4, 27) in dutch_holidays(2026)


def test_local_dates_are_amsterdam_dates():
    assert local_date(datetime(2025, 3, 9, 23, 30)) == date(2025, 3, 10)  # 00:30 CET
    assert local_date(datetime(2025, 7, 1, 21, 59)) == date(2025, 7, 1)  # 23:59 CEST
    assert local_midnight_utc(date(2025, 7, 1)) == datetime(2025, 6, 30, 22, 0)


def _clock(events, now):
    return compute_clock(events, now)


MONDAY = datetime(2025, 3, 3, 8, 0)  # 09:00 in Amsterdam


def _days(n: float) -> datetime:
    return MONDAY + timedelta(days=n)


def test_stale_after_more_than_the_limit_of_working_days_with_the_team():
    events = [(MONDAY, "submitted", {})]
    on_next_monday = assess(_clock(events, _days(7)), None, local_date(_days(7)), limit=5)
    assert on_next_monday.stale_days == 5 and not on_next_monday.stale
    on_tuesday = assess(_clock(events, _days(8)), None, local_date(_days(8)), limit=5)
    assert on_tuesday.stale_days == 6 and on_tuesday.stale


def test_a_weekend_does_not_make_a_registration_stale():
    friday = datetime(2025, 3, 7, 15, 0)
    events = [(friday, "submitted", {})]
    now = friday + timedelta(days=3)  # Monday
    insight = assess(_clock(events, now), None, local_date(now), limit=1)
    assert insight.stale_days == 1 and not insight.stale


def test_a_step_change_or_a_contact_restarts_the_stale_count():
    events = [(MONDAY, "submitted", {}), (_days(4), "step_changed", {"from": "received", "to": "policy"})]
    now = _days(10)  # Thursday of the next week
    assert assess(_clock(events, now), None, local_date(now), limit=5).stale_days == 4
    contact = ContactSummary(occurred_at=_days(9), follow_up_date=None, with_whom="Salarisbureau")
    assert assess(_clock(events, now), contact, local_date(now), limit=5).stale_days == 1


def test_waiting_withdrawn_and_live_registrations_are_never_stale():
    waiting = [(MONDAY, "submitted", {}), (_days(1), "waiting_set", {})]
    withdrawn = [(MONDAY, "submitted", {}), (_days(1), "withdrawn", {})]
    live = [(MONDAY, "submitted", {})] + [
        (_days(1), "step_changed", {"from": a, "to": b})
        for a, b in (("received", "policy"), ("policy", "setup"), ("setup", "realised"), ("realised", "live"))
    ]
    now = _days(30)
    for events in (waiting, withdrawn, live):
        insight = assess(_clock(events, now), None, local_date(now), limit=5)
        assert insight.stale_days is None and not insight.stale


def test_waiting_is_counted_from_when_the_processor_got_the_ball():
    events = [(MONDAY, "submitted", {}), (_days(1), "waiting_set", {})]
    now = _days(9)  # Wednesday a week later
    insight = assess(_clock(events, now), None, local_date(now), limit=5)
    assert insight.waiting_days == 6 and insight.waiting_long


def test_a_follow_up_is_due_on_its_date_and_after():
    contact = ContactSummary(occurred_at=MONDAY, follow_up_date=date(2025, 3, 10), with_whom="X")
    assert due_follow_up(contact, date(2025, 3, 9)) is None
    assert due_follow_up(contact, date(2025, 3, 10)) == date(2025, 3, 10)
    assert due_follow_up(contact, date(2025, 3, 12)) == date(2025, 3, 10)
    assert due_follow_up(None, date(2025, 3, 12)) is None
    assert due_follow_up(ContactSummary(MONDAY, None, "X"), date(2025, 3, 12)) is None


def test_a_due_follow_up_on_a_withdrawn_registration_is_not_due():
    contact = ContactSummary(occurred_at=MONDAY, follow_up_date=date(2025, 3, 4), with_whom="X")
    events = [(MONDAY, "submitted", {}), (_days(1), "withdrawn", {})]
    now = _days(5)
    assert assess(_clock(events, now), contact, local_date(now), limit=5).due is None
    assert assess(_clock(events[:1], now), contact, local_date(now), limit=5).due == date(2025, 3, 4)
