"""Ball-in-court clocks from known event histories (pure: `now` is passed in)."""

from datetime import datetime, timedelta

from caseapp.insight.clocks import compute_clock, days, replay

T0 = datetime(2025, 3, 3, 9, 0)  # a Monday, naive UTC like the database


def at(day: float) -> datetime:
    return T0 + timedelta(days=day)


def step(day, frm, to, **extra):
    return (at(day), "step_changed", {"from": frm, "to": to, **extra})


def test_a_new_registration_is_with_asr_from_submission():
    clock = compute_clock([(at(0), "submitted", {})], now=at(2.5))
    assert clock.step == "received"
    assert clock.active_party == "asr"
    assert clock.active_since == at(0)
    assert clock.active_for == timedelta(days=2.5)
    assert days(clock.by_party["asr"]) == 2.5
    assert clock.by_party["keylane"] == clock.by_party["processor"] == timedelta(0)
    assert days(clock.by_step["received"]) == 2.5


def test_time_goes_to_the_team_that_owns_each_step_and_stops_when_live():
    events = [
        (at(0), "submitted", {}),
        (at(0.5), "assigned", {"assignee": "Anouk"}),  # does not move the ball
        step(1, "received", "policy"),
        step(3, "policy", "setup"),
        step(10, "setup", "realised"),
        step(14, "realised", "live"),
    ]
    clock = compute_clock(events, now=at(30))
    assert {party: days(value) for party, value in clock.by_party.items()} == {
        "asr": 3, "keylane": 11, "processor": 0,
    }
    assert {s: days(v) for s, v in clock.by_step.items()} == {
        "received": 1, "policy": 2, "setup": 7, "realised": 4,
    }
    assert clock.step == "live"
    assert clock.active_party is None and clock.active_for is None
    assert clock.step_entered_at == at(14)
    # a.s.r. held the ball from submission to setup without a break
    assert compute_clock(events, now=at(2)).active_since == at(0)


def test_waiting_on_the_processor_pauses_the_team_clock():
    events = [
        (at(0), "submitted", {}),
        step(1, "received", "policy"),
        step(2, "policy", "setup"),
        (at(4), "waiting_set", {"reason": "rechten ontbreken"}),
        (at(9), "waiting_cleared", {}),
    ]
    while_waiting = compute_clock(events, now=at(6))
    assert while_waiting.active_party == "processor"
    assert while_waiting.active_since == at(4)
    assert while_waiting.active_for == timedelta(days=2)
    assert days(while_waiting.by_party["keylane"]) == 2
    assert days(while_waiting.by_party["processor"]) == 2

    after = compute_clock(events, now=at(10))
    assert after.active_party == "keylane"
    assert after.active_since == at(9)  # the ball came back: Keylane's run starts again
    assert {p: days(v) for p, v in after.by_party.items()} == {"asr": 2, "keylane": 3, "processor": 5}
    # the step's own clock keeps running while waiting
    assert days(after.by_step["setup"]) == 8
    # the step did not change, so the step entry time stays
    assert after.step_entered_at == at(2)


def test_moving_back_gives_the_ball_back_to_the_earlier_team():
    events = [
        (at(0), "submitted", {}),
        step(1, "received", "policy"),
        step(2, "policy", "setup"),
        step(5, "setup", "policy", reason="polisnummer klopt niet", direction="back"),
        step(6, "policy", "setup"),
    ]
    clock = compute_clock(events, now=at(8))
    assert {p: days(v) for p, v in clock.by_party.items()} == {"asr": 3, "keylane": 5, "processor": 0}
    assert {s: days(v) for s, v in clock.by_step.items()} == {
        "received": 1, "policy": 2, "setup": 5, "realised": 0,
    }
    timeline = clock.timeline
    assert [(t.from_step, t.to_step, t.back) for t in timeline.transitions] == [
        ("received", "policy", False), ("policy", "setup", False), ("setup", "policy", True), ("policy", "setup", False),
    ]
    assert timeline.first_entered["setup"] == at(2)
    assert clock.active_since == at(6)


def test_nobody_has_the_ball_while_withdrawn_and_reopening_resumes_the_owner():
    events = [
        (at(0), "submitted", {}),
        step(1, "received", "policy"),
        (at(2), "withdrawn", {"reason": "overgestapt", "step": "policy"}),
        (at(12), "reopened", {"reason": "overgestapt", "step": "policy"}),
    ]
    withdrawn = compute_clock(events, now=at(5))
    assert withdrawn.withdrawn and withdrawn.active_party is None and withdrawn.active_for is None
    assert days(withdrawn.by_party["asr"]) == 2

    reopened = compute_clock(events, now=at(13))
    assert reopened.active_party == "asr"
    assert reopened.active_since == at(12)
    assert days(reopened.by_party["asr"]) == 3
    assert days(reopened.by_step["policy"]) == 2  # the ten withdrawn days are nobody's


def test_waiting_survives_withdrawal_and_comes_back_on_reopen():
    events = [
        (at(0), "submitted", {}),
        (at(1), "waiting_set", {}),
        (at(2), "withdrawn", {}),
        (at(4), "reopened", {}),
    ]
    clock = compute_clock(events, now=at(5))
    assert clock.active_party == "processor"
    assert {p: days(v) for p, v in clock.by_party.items()} == {"asr": 1, "keylane": 0, "processor": 2}


def test_events_after_now_are_ignored_so_history_can_be_asked_at_any_moment():
    events = [(at(0), "submitted", {}), step(1, "received", "policy"), step(3, "policy", "setup")]
    clock = compute_clock(events, now=at(2))
    assert clock.step == "policy"
    assert days(clock.by_party["asr"]) == 2
    assert clock.timeline.step_at(at(0.5)) == ("received", False)
    assert clock.timeline.step_at(at(-1)) is None


def test_party_totals_can_be_cut_at_a_moment():
    events = [(at(0), "submitted", {}), step(2, "received", "policy"), step(4, "policy", "setup")]
    timeline = replay(events, now=at(10))
    assert days(timeline.party_totals(until=at(4))["asr"]) == 4
    assert days(timeline.party_totals(until=at(4))["keylane"]) == 0
    assert days(timeline.step_totals(until=at(3))["policy"]) == 1


def test_a_timestamp_out_of_order_counts_as_no_time_rather_than_negative_time():
    events = [(at(0), "submitted", {}), step(2, "received", "policy"), (at(1), "waiting_set", {})]
    clock = compute_clock(events, now=at(3))
    assert all(value >= timedelta(0) for value in clock.by_party.values())
    assert days(clock.by_party["asr"]) == 2 and days(clock.by_party["processor"]) == 1


def test_no_events_means_no_clock():
    clock = compute_clock([], now=at(1))
    assert clock.step is None and clock.active_party is None
    assert sum(clock.by_party.values(), timedelta(0)) == timedelta(0)
