"""Access rules on the server, for every route: per role and per record.

a.s.r. edits intake data and policies, assigns, withdraws and reopens, and
moves a registration on or back in its own steps (received, policy); Keylane
ticks the checklist, sets the first-exchange date and moves on or back in
setup and realised; both log contacts and set waiting in their own step;
admins may do everything. Whatever is refused changes nothing."""

from datetime import date

import pytest

from caseapp.dates import utcnow
from caseapp.extensions import db
from caseapp.models import PolicyRecord
from tests.registrations.conftest import HX, events_of, fresh
from tests.registrations.test_sections import POLICY

CONTACT = {"occurred_at": "2026-01-05T10:00", "channel": "phone", "with_whom": "Jan", "summary": "Gebeld."}

# name: (method, path under /registrations/<id>/, form data)
ROUTES = {
    "detail": ("GET", "", None),
    "intake": ("GET", "intake", None),
    "intake_edit_form": ("GET", "intake/edit", None),
    "intake_save": ("POST", "intake", "INTAKE"),
    "intake_checked": ("POST", "intake/checked", {"checked": "1"}),
    "policies": ("GET", "policies", None),
    "policy_add": ("POST", "policies", POLICY),
    "policy_edit_form": ("GET", "policies/{pid}/edit", None),
    "policy_edit": ("POST", "policies/{pid}/edit", dict(POLICY, scheme="Ander product")),
    "policy_delete": ("POST", "policies/{pid}/delete", {}),
    "check": ("POST", "checks/right_hrm", {"ticked": "1"}),
    "contact": ("POST", "contacts", CONTACT),
    "assign": ("POST", "assign", {"action": "take"}),
    "date": ("POST", "first-exchange-date", {"first_exchange_date": "2099-01-01"}),
    "waiting": ("POST", "waiting", {"reason": "Rechten ontbreken", "request_items": "right_hrm"}),
    "waiting_clear": ("POST", "waiting/clear", {}),
    "withdraw": ("POST", "withdraw", {"reason": "Dubbel aangemeld"}),
    "reopen": ("POST", "reopen", {}),
    "advance": ("POST", "advance", {}),
    "back": ("POST", "back", {"reason": "Terug voor controle"}),
}


def prepare(make_registration, step, route):
    """A registration in `step` on which `route` makes sense, with one policy."""
    registration, _token = make_registration(step=step)
    registration = fresh(registration.id)
    db.session.add(PolicyRecord(registration_id=registration.id, policy_number="PP-1", scheme="Pensioen",
                                start_date=date(2026, 1, 1)))
    if route == "waiting_clear":
        registration.waiting_reason, registration.waiting_since = "Rechten ontbreken", utcnow()
    if route == "reopen":
        registration.withdrawn_reason, registration.withdrawn_at = "Dubbel", utcnow()
    db.session.commit()
    policy_id = db.session.scalar(db.select(PolicyRecord.id).where(PolicyRecord.registration_id == registration.id))
    return registration.id, policy_id


def call(desk, rid, pid, route, htmx=False):
    from tests.registrations.test_sections import intake_form

    method, path, data = ROUTES[route]
    url = f"/registrations/{rid}/{path.format(pid=pid)}".rstrip("/")
    headers = HX if htmx else {}
    if method == "GET":
        return desk.client.get(url, headers=headers)
    if data == "INTAKE":
        data = intake_form(fresh(rid), employer_name="Andere Naam B.V.", payroll_tax_number="123456782L01")
    return desk.post(rid, url.split(f"/registrations/{rid}/", 1)[1], data, htmx=htmx)


def snapshot(rid):
    registration = fresh(rid)
    return registration.version, len(events_of(rid)), registration.step


# (role, step, route): refused with 403, nothing changes.
FORBIDDEN = (
    # Keylane does not touch a.s.r.'s data or its decisions.
    [("keylane", "policy", route) for route in (
        "intake_edit_form", "intake_save", "intake_checked", "policy_add", "policy_edit_form", "policy_edit",
        "policy_delete", "withdraw", "reopen")]
    # ...nor moves, pauses or assigns in a.s.r.'s steps.
    + [("keylane", step, route) for step in ("received", "policy")
       for route in ("advance", "back", "waiting", "waiting_clear", "assign")]
    # a.s.r. does not tick the checklist or set the date...
    + [("asr", "setup", route) for route in ("check", "date")]
    # ...nor moves or pauses in Keylane's steps.
    + [("asr", step, route) for step in ("setup", "realised") for route in ("advance", "back", "waiting", "waiting_clear")]
)


FORBIDDEN = [case for case in FORBIDDEN if case[1:] != ("received", "back")]  # no step before received


@pytest.mark.parametrize(("role", "step", "route"), FORBIDDEN, ids=[f"{r}-{s}-{a}" for r, s, a in FORBIDDEN])
def test_forbidden_action_is_403_and_changes_nothing(desk, staff, make_registration, role, step, route):
    rid, pid = prepare(make_registration, step, route)
    desk.login(staff[role])
    before = snapshot(rid)
    response = call(desk, rid, pid, route)
    assert response.status_code == 403, (response.status_code, response.get_data(as_text=True)[:300])
    assert snapshot(rid) == before


@pytest.mark.parametrize(("role", "step", "route"), [("keylane", "policy", "policy_add"), ("asr", "setup", "check"),
                                                     ("asr", "setup", "advance"), ("keylane", "policy", "assign")])
def test_forbidden_htmx_action_is_403_and_changes_nothing(desk, staff, make_registration, role, step, route):
    rid, pid = prepare(make_registration, step, route)
    desk.login(staff[role])
    before = snapshot(rid)
    response = call(desk, rid, pid, route, htmx=True)
    assert response.status_code == 403
    assert "<html" not in response.get_data(as_text=True)
    assert snapshot(rid) == before


# (role, step, route) that are allowed; admin may do each of them as well.
ALLOWED = (
    [("asr", "policy", route) for route in (
        "intake_edit_form", "intake_save", "intake_checked", "policy_add", "policy_edit_form", "policy_edit",
        "policy_delete", "withdraw", "reopen", "contact", "assign", "waiting", "waiting_clear", "back")]
    + [("asr", "setup", "assign"), ("asr", "received", "advance")]
    + [("keylane", "setup", route) for route in ("check", "date", "contact", "assign", "waiting", "waiting_clear",
                                                 "back")]
    + [("keylane", "received", "contact")]
)


@pytest.mark.parametrize("as_admin", [False, True], ids=["role", "admin"])
@pytest.mark.parametrize(("role", "step", "route"), ALLOWED, ids=[f"{r}-{s}-{a}" for r, s, a in ALLOWED])
def test_allowed_action_passes_the_access_rules(desk, staff, make_registration, role, step, route, as_admin):
    rid, pid = prepare(make_registration, step, route)
    if route == "advance":
        fresh(rid).assignee_id = staff["asr"].id
        db.session.commit()
    desk.login(staff["admin" if as_admin else role])
    response = call(desk, rid, pid, route)
    expected = 200 if ROUTES[route][0] == "GET" else 303
    assert response.status_code == expected, (response.status_code, response.get_data(as_text=True)[:300])


def test_every_role_may_read_the_detail_page(desk, staff, make_registration):
    rid, pid = prepare(make_registration, "setup", "detail")
    for role in ("asr", "keylane", "admin"):
        desk.login(staff[role])
        assert desk.client.get(f"/registrations/{rid}").status_code == 200
        assert desk.client.get(f"/registrations/{rid}/intake").status_code == 200
        assert desk.client.get(f"/registrations/{rid}/policies").status_code == 200


@pytest.mark.parametrize("route", list(ROUTES))
def test_a_registration_that_does_not_exist_is_404(desk, staff, make_registration, route):
    rid, pid = prepare(make_registration, "setup", route)
    desk.login(staff["admin"])
    method, path, data = ROUTES[route]
    url = f"/registrations/{rid + 1000}/{path.format(pid=pid)}".rstrip("/")
    body = dict(data) if isinstance(data, dict) else {}
    body["version"] = "1"
    response = desk.client.get(url) if method == "GET" else desk.client.post(url, data=body)
    assert response.status_code == 404


@pytest.mark.parametrize("route", list(ROUTES))
def test_without_a_session_every_route_goes_to_the_login_page(client, make_registration, route):
    registration, _token = make_registration()
    method, path, _data = ROUTES[route]
    url = f"/registrations/{registration.id}/{path.format(pid=1)}".rstrip("/")
    response = client.open(url, method=method, data={"version": "1"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    partial = client.open(url, method=method, data={"version": "1"}, headers=HX)
    assert partial.status_code == 401 and partial.headers["HX-Redirect"].startswith("/login")


def test_keylane_only_sees_keylane_colleagues_to_assign(desk, staff, make_registration):
    registration, _token = make_registration(step="setup")
    desk.login(staff["keylane"])
    html = desk.client.get(f"/registrations/{registration.id}").get_data(as_text=True)
    assert "Kees Jansen (Keylane)" in html and "Anouk de Vries (a.s.r.)" not in html
    response = desk.post(registration.id, "assign", {"action": "assign", "assignee_id": str(staff["asr"].id)})
    assert response.status_code == 403
    assert fresh(registration.id).assignee_id is None


def test_controls_a_role_may_not_use_are_not_shown(desk, staff, make_registration):
    registration, _token = make_registration(step="policy")
    rid = registration.id
    desk.login(staff["keylane"])
    html = desk.client.get(f"/registrations/{rid}").get_data(as_text=True)
    for action in ("/intake/edit", "/intake/checked", f"/registrations/{rid}/policies\"", "/withdraw", "/advance",
                   "/back", "/waiting", "/assign", "/checks/"):
        assert action not in html, action
    assert f"/registrations/{rid}/contacts" in html  # Keylane may log contacts in any step
    desk.login(staff["asr"])
    html = desk.client.get(f"/registrations/{rid}").get_data(as_text=True)
    for action in ("/intake/edit", "/intake/checked", "/withdraw", "/advance", "/back", "/waiting", "/assign"):
        assert action in html, action
    assert "/checks/" not in html and "/first-exchange-date" not in html
