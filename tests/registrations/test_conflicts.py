"""Two people editing one registration: the second save, made from an older
version, is refused with 409, shows the current values, and changes nothing."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseapp.dates import today_local
from caseapp.extensions import db
from caseapp.models import PolicyRecord
from tests.registrations.conftest import events_of, fresh, text_of
from tests.registrations.test_sections import POLICY, intake_form

STALE = "Iemand anders heeft deze aanmelding intussen gewijzigd."


def someone_else_changes(desk, rid, user):
    """Another session saves first: a contact entry moves the version on."""
    desk.login(user)
    response = desk.post(rid, "contacts", {"occurred_at": "2026-01-05T10:00", "channel": "phone",
                                           "with_whom": "Jan", "summary": "Gebeld."})
    assert response.status_code == 303


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_stale_intake_edit_is_refused_with_the_current_values(desk, staff, make_registration, htmx):
    registration, _token = make_registration(employer_name="Bakkerij Van Dam")
    rid = registration.id
    desk.login(staff["asr"])
    seen = fresh(rid).version
    # A colleague renames the employer first.
    desk.post(rid, "intake", intake_form(fresh(rid), employer_name="Bakkerij Van Dam B.V."))
    count = len(events_of(rid))

    response = desk.post(rid, "intake", intake_form(fresh(rid), employer_name="Bakkerij De Molen"),
                         version=seen, htmx=htmx)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert STALE in text_of(response)
    # The form shows what is stored now; what the user typed is listed, not lost.
    assert 'id="employer_name" name="employer_name" value="Bakkerij Van Dam B.V."' in html
    assert "Wat u had ingevuld (niet opgeslagen)" in html and "Bakkerij De Molen" in html
    typed = html[html.index("Wat u had ingevuld"):html.index("</details>")]
    assert "<dt>Verloningsfrequentie</dt><dd>Per maand</dd>" in typed and "<dt>DGA’s</dt>" in typed
    assert f'name="version" value="{fresh(rid).version}"' in html
    assert fresh(rid).employer_name == "Bakkerij Van Dam B.V." and len(events_of(rid)) == count
    if htmx:
        assert response.headers["HX-Retarget"] == "#registration-detail"
        assert html.startswith('<div id="registration-detail"')
        assert "registration:saved" not in response.headers.get("HX-Trigger", "")
    else:
        assert "<html" in html


def test_stale_policy_add_is_refused_and_keeps_the_typed_policy(desk, staff, make_registration):
    registration, _token = make_registration(step="policy")
    rid = registration.id
    desk.login(staff["asr"])
    seen = fresh(rid).version
    someone_else_changes(desk, rid, staff["keylane"])
    desk.login(staff["asr"])
    response = desk.post(rid, "policies", POLICY, version=seen, htmx=True)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert STALE in text_of(response)
    assert 'value="PP-1234567"' in html  # ready to send again after a look
    assert "met Jan" in text_of(response)  # the other change is on screen
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PolicyRecord)) == 0


def test_stale_first_exchange_date_is_refused(desk, staff, make_registration, make_user):
    registration, _token = make_registration(step="setup")
    rid = registration.id
    other = make_user("keylane", name="Karin Keylane")
    desk.login(staff["keylane"])
    seen = fresh(rid).version
    first = today_local() + timedelta(days=10)
    desk.login(other)
    assert desk.post(rid, "first-exchange-date", {"first_exchange_date": first.isoformat()}).status_code == 303
    desk.login(staff["keylane"])
    later = today_local() + timedelta(days=30)
    response = desk.post(rid, "first-exchange-date", {"first_exchange_date": later.isoformat()}, version=seen)
    assert response.status_code == 409
    assert STALE in text_of(response)
    assert f'value="{first.isoformat()}"' in response.get_data(as_text=True)
    assert fresh(rid).first_exchange_date == first


def test_stale_advance_is_refused(desk, staff, make_registration):
    registration, _token = make_registration()
    rid = registration.id
    desk.login(staff["asr"])
    seen = fresh(rid).version
    desk.post(rid, "assign", {"action": "take"})
    response = desk.post(rid, "advance", version=seen, htmx=True)
    assert response.status_code == 409
    assert STALE in text_of(response)
    assert fresh(rid).step == "received"
    # The refreshed page carries the current version: moving on works now.
    assert desk.post(rid, "advance").status_code == 303
    assert fresh(rid).step == "policy"


@pytest.mark.parametrize(
    ("role", "step", "action", "data"),
    [
        ("asr", "policy", "intake/checked", {"checked": "1"}),
        ("keylane", "setup", "checks/right_hrm", {"ticked": "1"}),
        ("asr", "received", "assign", {"action": "take"}),
        ("keylane", "setup", "waiting", {"reason": "Rechten ontbreken", "request_items": "right_hrm"}),
        ("asr", "policy", "withdraw", {"reason": "Dubbel"}),
        ("asr", "received", "contacts", {"occurred_at": "2026-01-05T10:00", "channel": "email",
                                        "with_whom": "Jan", "summary": "Mail."}),
    ],
)
def test_every_action_refuses_an_old_version(desk, staff, make_registration, role, step, action, data):
    registration, _token = make_registration(step=step)
    rid = registration.id
    someone_else_changes(desk, rid, staff["admin"])
    desk.login(staff[role])
    stale = fresh(rid).version - 1
    count = len(events_of(rid))
    response = desk.post(rid, action, data, version=stale)
    assert response.status_code == 409
    assert len(events_of(rid)) == count


def test_a_form_without_a_version_is_a_bad_request(desk, staff, make_registration):
    registration, _token = make_registration()
    desk.login(staff["asr"])
    response = desk.client.post(f"/registrations/{registration.id}/assign", data={"action": "take"})
    assert response.status_code == 400
    assert fresh(registration.id).assignee_id is None


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_a_policy_a_colleague_removed_is_a_conflict_not_a_missing_page(desk, staff, make_registration, action):
    registration, _token = make_registration(step="policy")
    rid = registration.id
    desk.login(staff["asr"])
    desk.post(rid, "policies", POLICY)
    policy_id = db.session.scalar(sa.select(PolicyRecord.id))
    seen = fresh(rid).version
    # A colleague removes the policy; this user still has the form from before.
    assert desk.post(rid, f"policies/{policy_id}/delete").status_code == 303
    count = len(events_of(rid))

    data = dict(POLICY, policy_number="PP-7654321") if action == "edit" else {}
    response = desk.post(rid, f"policies/{policy_id}/{action}", data, version=seen, htmx=True)
    assert response.status_code == 409
    assert STALE in text_of(response)
    assert "Polis PP-1234567 verwijderd" in text_of(response)  # the colleague's change is on screen
    assert response.headers["HX-Retarget"] == "#registration-detail"
    assert len(events_of(rid)) == count
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PolicyRecord)) == 0


def test_a_policy_that_never_was_is_still_a_404(desk, staff, make_registration):
    registration, _token = make_registration(step="policy")
    desk.login(staff["asr"])
    assert desk.post(registration.id, "policies/999999/edit", POLICY).status_code == 404
    assert desk.post(registration.id, "policies/999999/delete").status_code == 404
