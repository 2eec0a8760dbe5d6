"""A registration from `received` to `live` through the HTTP interface, as the
right people. Every guard is met refused first (the Dutch message, nothing
changed), then satisfied."""

from datetime import timedelta

from caseapp.dates import today_local
from caseapp.process import PREREQUISITE_KEYS
from tests.registrations.conftest import events_of, fresh, text_of


def assert_refused(response, message, registration_id, step, version):
    assert response.status_code == 422, response.status_code
    assert message in text_of(response)
    after = fresh(registration_id)
    assert after.step == step
    assert after.version == version


def test_received_to_live_with_every_guard_refused_first(desk, staff, make_registration):
    registration, _token = make_registration()
    rid = registration.id
    asr, keylane = staff["asr"], staff["keylane"]

    # --- received (a.s.r.): someone must have picked it up
    desk.login(asr)
    before = fresh(rid).version
    response = desk.post(rid, "advance")
    assert_refused(response, "Iemand moet de aanmelding eerst oppakken (toewijzen).", rid, "received", before)
    assert desk.post(rid, "assign", {"action": "take"}).status_code == 303
    assert fresh(rid).assignee_id == asr.id
    response = desk.post(rid, "advance")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/registrations/{rid}#next-step")
    assert fresh(rid).step == "policy"

    # --- policy (a.s.r.): a complete policy and intake data checked
    before = fresh(rid).version
    response = desk.post(rid, "advance")
    assert_refused(response, "Voeg minstens één volledige polis toe", rid, "policy", before)
    assert "Vink aan dat de aanmeldgegevens zijn gecontroleerd." in text_of(response)
    response = desk.post(rid, "policies", {"policy_number": "PP-1234567", "scheme": "a.s.r. Werknemerspensioen",
                                           "start_date": "2026-01-01", "note": ""})
    assert response.status_code == 303
    before = fresh(rid).version
    response = desk.post(rid, "advance")
    assert_refused(response, "Vink aan dat de aanmeldgegevens zijn gecontroleerd.", rid, "policy", before)
    assert "Voeg minstens één volledige polis toe" not in text_of(response)
    assert desk.post(rid, "intake/checked", {"checked": "1"}).status_code == 303
    assert desk.post(rid, "advance").status_code == 303
    assert fresh(rid).step == "setup"

    # --- setup (Keylane): a.s.r. can no longer move it on
    before = fresh(rid).version
    response = desk.post(rid, "advance")
    assert response.status_code == 403
    assert "Deze stap is van Keylane" in text_of(response)
    assert fresh(rid).step == "setup" and fresh(rid).version == before

    desk.login(keylane)
    before = fresh(rid).version
    response = desk.post(rid, "advance")
    assert_refused(response, "Vink alle autorisatiecontroles aan (nog open: 10).", rid, "setup", before)
    assert "Stel de datum van de eerste uitwisseling in." in text_of(response)
    for key in PREREQUISITE_KEYS[:-1]:
        assert desk.post(rid, f"checks/{key}", {"ticked": "1"}).status_code == 303
    before = fresh(rid).version
    response = desk.post(rid, "advance")
    assert_refused(response, "Vink alle autorisatiecontroles aan (nog open: 1).", rid, "setup", before)
    assert desk.post(rid, f"checks/{PREREQUISITE_KEYS[-1]}", {"ticked": "1"}).status_code == 303

    yesterday = (today_local() - timedelta(days=1)).isoformat()
    before = fresh(rid).version
    response = desk.post(rid, "first-exchange-date", {"first_exchange_date": yesterday})
    assert_refused(response, "De datum van de eerste uitwisseling mag niet in het verleden liggen.", rid, "setup", before)
    assert fresh(rid).first_exchange_date is None
    response = desk.post(rid, "advance")
    assert_refused(response, "Stel de datum van de eerste uitwisseling in.", rid, "setup", before)

    today = today_local()
    assert desk.post(rid, "first-exchange-date", {"first_exchange_date": today.isoformat()}).status_code == 303
    assert fresh(rid).first_exchange_date == today
    assert desk.post(rid, "advance").status_code == 303
    assert fresh(rid).step == "realised"
    assert fresh(rid).first_exchange_date_notified == today

    # --- realised (Keylane): the first exchange has to have happened, or be confirmed
    before = fresh(rid).version
    response = desk.post(rid, "advance")
    assert_refused(response, "De eerste uitwisseling is nog niet geweest.", rid, "realised", before)
    response = desk.post(rid, "advance", {"confirm_first_exchange": "1"})
    assert response.status_code == 303
    live = fresh(rid)
    assert live.step == "live" and live.live_at is not None

    # The page says so, and the timeline holds the whole story.
    page = text_of(desk.client.get(f"/registrations/{rid}"))
    assert "De koppeling is live" in page
    kinds = [e.kind for e in events_of(rid)]
    assert kinds[0] == "submitted"
    assert kinds.count("step_changed") == 4
    assert kinds.count("check_ticked") == 10
    for kind in ("assigned", "policy_added", "intake_checked", "first_exchange_date_set"):
        assert kind in kinds
    steps = [(e.data["from"], e.data["to"]) for e in events_of(rid) if e.kind == "step_changed"]
    assert steps == [("received", "policy"), ("policy", "setup"), ("setup", "realised"), ("realised", "live")]
    assert events_of(rid)[-1].data.get("confirmed") is True


def test_moving_back_needs_a_reason_and_is_recorded(desk, staff, make_registration):
    registration, _token = make_registration(step="policy")
    rid = registration.id
    desk.login(staff["asr"])
    before = fresh(rid).version
    response = desk.post(rid, "back", {"reason": "   "})
    assert_refused(response, "Geef een reden om een stap terug te gaan.", rid, "policy", before)
    response = desk.post(rid, "back", {"reason": "Werkgever ID blijkt onjuist"})
    assert response.status_code == 303
    assert fresh(rid).step == "received"
    event = events_of(rid)[-1]
    assert event.kind == "step_changed" and event.data["direction"] == "back"
    assert event.data["reason"] == "Werkgever ID blijkt onjuist"
    page = text_of(desk.client.get(f"/registrations/{rid}"))
    assert "Stap terug: van ‘Polisgegevens’ naar ‘Nieuw’" in page
    assert "Reden: Werkgever ID blijkt onjuist" in page


def test_waiting_on_the_processor_blocks_advancing_until_cleared(desk, staff, make_registration):
    registration, _token = make_registration()
    rid = registration.id
    desk.login(staff["asr"])
    desk.post(rid, "assign", {"action": "take"})
    before = fresh(rid).version
    response = desk.post(rid, "waiting", {"reason": "", "request_items": "other"})
    assert_refused(response, "Geef aan waarop u wacht", rid, "received", before)
    assert not fresh(rid).is_waiting
    assert desk.post(rid, "waiting", {"reason": "Werkgever ID ontbreekt", "request_items": "other"}).status_code == 303
    assert fresh(rid).waiting_reason == "Werkgever ID ontbreekt"
    before = fresh(rid).version
    response = desk.post(rid, "advance")
    assert_refused(response, "Deze aanmelding wacht op de salarisverwerker.", rid, "received", before)
    assert desk.post(rid, "waiting/clear").status_code == 303
    assert not fresh(rid).is_waiting
    assert desk.post(rid, "advance").status_code == 303
    assert fresh(rid).step == "policy"


def test_withdraw_needs_a_reason_and_reopen_restores(desk, staff, make_registration):
    registration, _token = make_registration(step="policy")
    rid = registration.id
    desk.login(staff["asr"])
    before = fresh(rid).version
    response = desk.post(rid, "withdraw", {"reason": ""})
    assert_refused(response, "Geef een reden voor het intrekken.", rid, "policy", before)
    assert not fresh(rid).is_withdrawn
    assert desk.post(rid, "withdraw", {"reason": "Werkgever stapt over"}).status_code == 303
    assert fresh(rid).withdrawn_reason == "Werkgever stapt over"

    # Withdrawn: edits and moves are refused until it is reopened.
    before = fresh(rid).version
    response = desk.post(rid, "policies", {"policy_number": "PP-1", "scheme": "X", "start_date": "2026-01-01"})
    assert_refused(response, "Deze aanmelding is ingetrokken. Heropen haar eerst.", rid, "policy", before)
    response = desk.post(rid, "advance")
    assert_refused(response, "Deze aanmelding is ingetrokken. Heropen haar eerst.", rid, "policy", before)

    assert desk.post(rid, "reopen").status_code == 303
    assert not fresh(rid).is_withdrawn
    assert [e.kind for e in events_of(rid)][-2:] == ["withdrawn", "reopened"]
