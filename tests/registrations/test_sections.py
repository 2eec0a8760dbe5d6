"""The sections of the detail page: each change saves, leaves an event, and
answers a plain form with 303 and an HTMX request with the section."""

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from caseapp.dates import today_local, utcnow
from caseapp.extensions import db
from caseapp.models import AuthorisationCheck, ContactLogEntry, Director, PolicyRecord
from tests.registrations.conftest import HX, events_of, fresh, text_of

POLICY = {"policy_number": "PP-1234567", "scheme": "a.s.r. Werknemerspensioen", "start_date": "2026-01-01", "note": ""}


def contact_form(**overrides):
    data = {
        "occurred_at": (utcnow() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),  # Dutch time ≈ UTC+1/2
        "channel": "phone",
        "with_whom": "Jan Pietersen",
        "summary": "Rechten van de Loket.nl-gebruiker doorgelopen.",
        "follow_up_date": "",
    }
    data.update(overrides)
    return data


def intake_form(registration, **overrides):
    data = {
        "processor_name": registration.processor_name,
        "processor_email": registration.processor_email,
        "employer_name": registration.employer_name,
        "contract_number": registration.contract_number,
        "payroll_tax_number": registration.payroll_tax_number,
        "loket_employer_id": registration.loket_employer_id,
        "pay_frequency": registration.pay_frequency,
        "thirteenth_month": "yes" if registration.thirteenth_month else "no",
    }
    for index, director in enumerate(registration.directors):
        data[f"directors-{index}-name"] = director.name
        data[f"directors-{index}-personnel_number"] = director.personnel_number
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# ---------------------------------------------------------------------------
# Every change leaves an event
# ---------------------------------------------------------------------------

CHANGES = [
    # (role, step, action, data, event kind)
    ("asr", "received", "assign", {"action": "take"}, "assigned"),
    ("asr", "received", "intake/checked", {"checked": "1"}, "intake_checked"),
    ("asr", "policy", "policies", POLICY, "policy_added"),
    ("keylane", "setup", "checks/right_hrm", {"ticked": "1"}, "check_ticked"),
    ("keylane", "setup", "contacts", None, "contact_logged"),
    ("asr", "received", "contacts", None, "contact_logged"),
    ("keylane", "setup", "first-exchange-date", {"first_exchange_date": "2099-01-01"}, "first_exchange_date_set"),
    ("keylane", "setup", "waiting", {"reason": "Rechten ontbreken", "request_items": "right_hrm"}, "waiting_set"),
    ("asr", "policy", "withdraw", {"reason": "Dubbel aangemeld"}, "withdrawn"),
    ("asr", "policy", "back", {"reason": "Polis hoort bij andere werkgever"}, "step_changed"),
]


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize(("role", "step", "action", "data", "kind"), CHANGES, ids=[c[2] for c in CHANGES])
def test_every_change_leaves_an_event_and_a_new_version(desk, staff, make_registration, role, step, action, data,
                                                        kind, htmx):
    registration, _token = make_registration(step=step)
    rid = registration.id
    desk.login(staff[role])
    before = fresh(rid).version
    count = len(events_of(rid))
    response = desk.post(rid, action, data if data is not None else contact_form(), htmx=htmx)
    assert response.status_code == (200 if htmx else 303), text_of(response)
    events = events_of(rid)
    assert len(events) == count + 1
    assert events[-1].kind == kind and events[-1].actor_id == staff[role].id
    assert fresh(rid).version == before + 1


# ---------------------------------------------------------------------------
# Partial and full responses
# ---------------------------------------------------------------------------


def test_the_page_without_htmx_is_the_full_page(client, desk, staff, make_registration):
    registration, _token = make_registration()
    desk.login(staff["asr"])
    response = client.get(f"/registrations/{registration.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().lower().startswith("<!doctype html>")
    for dom_id in ("registration-header", "next-step", "intake-data", "policies", "checks", "contacts",
                   "assignment", "first-exchange-date", "waiting", "withdrawal", "timeline", "detail-status"):
        assert f'id="{dom_id}"' in html, dom_id
    assert "HX-Request" in response.headers["Vary"]


def test_a_partial_request_gets_the_detail_block_only(client, desk, staff, make_registration):
    registration, _token = make_registration()
    desk.login(staff["asr"])
    response = client.get(f"/registrations/{registration.id}", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="registration-detail"')
    assert "<html" not in html and "site-header" not in html


def test_a_boosted_full_request_gets_the_whole_page(client, desk, staff, make_registration):
    registration, _token = make_registration()
    desk.login(staff["asr"])
    html = client.get(f"/registrations/{registration.id}",
                      headers={"HX-Request": "true", "HX-Request-Type": "full"}).get_data(as_text=True)
    assert "<html" in html and "site-header" in html


def test_htmx_save_answers_with_the_section_and_refreshes_what_it_affects(desk, staff, make_registration):
    registration, _token = make_registration(step="policy")
    rid = registration.id
    desk.login(staff["asr"])
    before = fresh(rid).version
    response = desk.post(rid, "policies", POLICY, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.startswith('<section id="policies"')
    assert "<html" not in html
    partials = re.findall(r'<hx-partial hx-target="#([a-z-]+)" hx-swap="outerSync">', html)
    assert partials == ["registration-header", "next-step", "timeline", "detail-status"]
    assert "Polis PP-1234567 toegevoegd." in html
    trigger = json.loads(response.headers["HX-Trigger"])
    assert trigger == {"registration:saved": {"id": rid, "from": before, "to": before + 1}}
    # The new row gets focus, and every form in the answer carries the new version.
    policy = db.session.scalar(sa.select(PolicyRecord))
    assert re.search(rf'id="policy-{policy.id}"[^>]*data-focus-after-swap', html)
    versions = set(re.findall(r'name="version" value="(\d+)"', html))
    assert versions == {str(before + 1)}


def test_htmx_step_change_answers_with_the_whole_detail(desk, staff, make_registration):
    registration, _token = make_registration(step="policy")
    rid = registration.id
    desk.login(staff["asr"])
    response = desk.post(rid, "back", {"reason": "Terug voor controle"}, htmx=True)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#registration-detail"
    html = response.get_data(as_text=True)
    assert html.startswith('<div id="registration-detail"')
    assert '<hx-partial hx-target="#detail-status"' in html


def test_htmx_refused_change_answers_with_the_section_and_the_message(desk, staff, make_registration):
    registration, _token = make_registration()
    rid = registration.id
    desk.login(staff["asr"])
    response = desk.post(rid, "advance", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.startswith('<section id="next-step"')
    assert "<hx-partial" not in html and "HX-Retarget" not in response.headers
    assert "Iemand moet de aanmelding eerst oppakken" in html
    assert re.search(r'class="notice notice--refused"[^>]*role="alert"[^>]*data-focus-after-swap', html)


def test_plain_form_refused_change_rerenders_the_page_at_422(desk, staff, make_registration):
    registration, _token = make_registration()
    desk.login(staff["asr"])
    response = desk.post(registration.id, "advance")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" in html and "<title>Fout:" in html
    assert "Iemand moet de aanmelding eerst oppakken" in html


def test_section_get_routes_serve_a_block_or_the_page(client, desk, staff, make_registration):
    registration, _token = make_registration()
    desk.login(staff["asr"])
    rid = registration.id
    edit = client.get(f"/registrations/{rid}/intake/edit", headers=HX).get_data(as_text=True)
    assert edit.startswith('<section id="intake-data"') and 'name="payroll_tax_number"' in edit
    assert re.search(r'id="processor_name"[^>]*data-focus-after-swap', edit)
    full = client.get(f"/registrations/{rid}/intake/edit").get_data(as_text=True)
    assert "<html" in full and 'name="payroll_tax_number"' in full
    view = client.get(f"/registrations/{rid}/intake", headers=HX).get_data(as_text=True)
    assert view.startswith('<section id="intake-data"') and 'name="payroll_tax_number"' not in view


# ---------------------------------------------------------------------------
# Policies
# ---------------------------------------------------------------------------


def test_policy_add_edit_remove_with_before_and_after(desk, staff, make_registration):
    registration, _token = make_registration(step="policy")
    rid = registration.id
    desk.login(staff["asr"])
    assert desk.post(rid, "policies", dict(POLICY, note="  Eerste polis  ")).status_code == 303
    policy = db.session.scalar(sa.select(PolicyRecord))
    assert (policy.policy_number, policy.scheme, policy.start_date.isoformat(), policy.note) == (
        "PP-1234567", "a.s.r. Werknemerspensioen", "2026-01-01", "Eerste polis")
    assert policy.created_by_id == staff["asr"].id

    response = desk.post(rid, f"policies/{policy.id}/edit", dict(POLICY, start_date="01-02-2026", note="Eerste polis"))
    assert response.status_code == 303
    event = events_of(rid)[-1]
    assert event.kind == "policy_edited"
    assert event.data["changes"] == {"start_date": {"before": "2026-01-01", "after": "2026-02-01"}}
    page = text_of(desk.client.get(f"/registrations/{rid}"))
    assert "Polis PP-1234567 gewijzigd" in page
    assert "Ingangsdatum: was 1 januari 2026 → wordt 1 februari 2026" in page

    assert desk.post(rid, f"policies/{policy.id}/delete").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PolicyRecord)) == 0
    assert events_of(rid)[-1].kind == "policy_removed"
    assert events_of(rid)[-1].data["policy_number"] == "PP-1234567"


def test_policy_edit_without_changes_records_nothing(desk, staff, make_registration):
    registration, _token = make_registration(step="policy")
    rid = registration.id
    desk.login(staff["asr"])
    desk.post(rid, "policies", POLICY)
    policy = db.session.scalar(sa.select(PolicyRecord))
    before, count = fresh(rid).version, len(events_of(rid))
    response = desk.post(rid, f"policies/{policy.id}/edit", POLICY)
    assert response.status_code == 303
    assert len(events_of(rid)) == count and fresh(rid).version == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("policy_number", "", "Vul het polisnummer in."),
        ("policy_number", "P" * 41, "Een polisnummer is hoogstens 40 tekens lang."),
        ("scheme", "  ", "Vul de regeling of het product in."),
        ("start_date", "", "Vul de ingangsdatum in."),
        ("start_date", "31-02-2026", "Vul een geldige datum in"),
        ("note", "x" * 1001, "De notitie is hoogstens 1000 tekens lang."),
    ],
)
def test_invalid_policy_is_refused_with_422_and_the_input_kept(desk, staff, make_registration, field, value, message):
    registration, _token = make_registration(step="policy")
    rid = registration.id
    desk.login(staff["asr"])
    before = fresh(rid).version
    data = dict(POLICY, **{field: value})
    response = desk.post(rid, "policies", data)
    assert response.status_code == 422
    assert message in text_of(response)
    kept = "policy_number" if field == "scheme" else "scheme"  # another submitted field, shown again
    assert f'value="{POLICY[kept]}"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PolicyRecord)) == 0
    assert fresh(rid).version == before
    htmx = desk.post(rid, "policies", data, htmx=True)
    assert htmx.status_code == 422 and htmx.get_data(as_text=True).startswith('<section id="policies"')
    assert re.search(r'id="policy-new-errors"[^>]*data-focus-after-swap', htmx.get_data(as_text=True))


def test_a_policy_of_another_registration_is_not_found(desk, staff, make_registration):
    mine, _ = make_registration(step="policy")
    other, _ = make_registration(step="policy")
    desk.login(staff["asr"])
    desk.post(other.id, "policies", POLICY)
    policy = db.session.scalar(sa.select(PolicyRecord))
    assert desk.post(mine.id, f"policies/{policy.id}/edit", POLICY).status_code == 404
    assert desk.post(mine.id, f"policies/{policy.id}/delete").status_code == 404
    assert desk.client.get(f"/registrations/{mine.id}/policies/{policy.id}/edit").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PolicyRecord)) == 1


# ---------------------------------------------------------------------------
# Authorisation checklist
# ---------------------------------------------------------------------------


def test_ticking_a_check_shows_who_and_when_and_unticking_removes_it(desk, staff, make_registration):
    registration, _token = make_registration(step="setup")
    rid = registration.id
    desk.login(staff["keylane"])
    response = desk.post(rid, "checks/right_bsn", {"ticked": "1"}, htmx=True)
    html = response.get_data(as_text=True)
    assert html.startswith('<section id="checks"')
    assert "Afgevinkt door Kees Jansen" in text_of(response)
    assert re.search(r'id="check-right_bsn-button"[^>]*data-focus-after-swap', html)
    check = db.session.scalar(sa.select(AuthorisationCheck))
    assert check.key == "right_bsn" and check.checked_by_id == staff["keylane"].id

    before, count = fresh(rid).version, len(events_of(rid))
    assert desk.post(rid, "checks/right_bsn", {"ticked": "1"}).status_code == 303  # already ticked: no change
    assert len(events_of(rid)) == count and fresh(rid).version == before

    assert desk.post(rid, "checks/right_bsn", {"ticked": "0"}).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuthorisationCheck)) == 0
    assert events_of(rid)[-1].kind == "check_unticked"
    assert "Vinkje weggehaald: Beheren en raadplegen BSN" in text_of(desk.client.get(f"/registrations/{rid}"))


def test_an_unknown_check_is_not_found(desk, staff, make_registration):
    registration, _token = make_registration(step="setup")
    desk.login(staff["keylane"])
    assert desk.post(registration.id, "checks/no_such_right", {"ticked": "1"}).status_code == 404


# ---------------------------------------------------------------------------
# Contact log
# ---------------------------------------------------------------------------


def test_contact_log_newest_first_with_author_and_dutch_channel(desk, staff, make_registration):
    registration, _token = make_registration(step="setup")
    rid = registration.id
    desk.login(staff["keylane"])
    follow_up = (today_local() + timedelta(days=3)).isoformat()
    desk.post(rid, "contacts", contact_form(occurred_at="2026-01-05T10:00", channel="email", with_whom="Petra",
                                            summary="Eerste mail."))
    desk.post(rid, "contacts", contact_form(occurred_at="2026-01-06T09:30", channel="meeting", with_whom="Jan",
                                            summary="Teams-overleg\nover de rechten.", follow_up_date=follow_up))
    entries = db.session.scalars(sa.select(ContactLogEntry).order_by(ContactLogEntry.id)).all()
    assert entries[1].summary == "Teams-overleg\nover de rechten."
    assert entries[1].author_id == staff["keylane"].id
    # Typed in Dutch (winter) time, stored as UTC.
    assert entries[0].occurred_at.isoformat() == "2026-01-05T09:00:00"
    page = text_of(desk.client.get(f"/registrations/{rid}"))
    contacts = page[page.index("Contact met de salarisverwerker"):]
    assert contacts.index("Teams/overleg met Jan") < contacts.index("e-mail met Petra")
    assert "6 jan 2026, 09:30 · vastgelegd door Kees Jansen" in contacts
    assert "Opvolgen op" in contacts


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("with_whom", "", "Vul in met wie u contact had."),
        ("summary", "", "Vat kort samen wat er besproken is."),
        ("channel", "", "Kies hoe het contact was"),
        ("channel", "fax", "Kies telefoon, e-mail, Teams/overleg of anders."),
        ("occurred_at", "", "Vul in wanneer het contact was."),
        ("occurred_at", "gisteren", "Vul een geldige datum en tijd in"),
        ("occurred_at", "2099-01-01T10:00", "Het contact ligt in de toekomst."),
        ("follow_up_date", "2020-01-01", "De opvolgdatum ligt in het verleden."),
    ],
)
def test_invalid_contact_is_refused(desk, staff, make_registration, field, value, message):
    registration, _token = make_registration(step="setup")
    desk.login(staff["keylane"])
    before = fresh(registration.id).version
    response = desk.post(registration.id, "contacts", contact_form(**{field: value}))
    assert response.status_code == 422
    assert message in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ContactLogEntry)) == 0
    assert fresh(registration.id).version == before


# ---------------------------------------------------------------------------
# Intake data
# ---------------------------------------------------------------------------


def test_intake_edit_records_only_the_changed_fields(desk, staff, make_registration):
    registration, _token = make_registration(payroll_tax_number="123456782L01", directors=[("Jan de Boer", "101")])
    rid = registration.id
    desk.login(staff["asr"])
    data = intake_form(fresh(rid), employer_name="  Bakkerij   Van Dam B.V. ", payroll_tax_number="1112.22.333 l01",
                       **{"directors-1-name": "Piet Smit", "directors-1-personnel_number": "102"})
    response = desk.post(rid, "intake", data)
    assert response.status_code == 303, text_of(response)
    after = fresh(rid)
    assert after.employer_name == "Bakkerij Van Dam B.V."
    assert after.payroll_tax_number == "111222333L01"
    assert [(d.name, d.personnel_number) for d in after.directors] == [("Jan de Boer", "101"), ("Piet Smit", "102")]
    event = events_of(rid)[-1]
    assert event.kind == "intake_edited"
    assert set(event.data["changes"]) == {"employer_name", "payroll_tax_number", "directors"}
    assert event.data["changes"]["directors"] == {"before": ["Jan de Boer (101)"],
                                                 "after": ["Jan de Boer (101)", "Piet Smit (102)"]}
    page = text_of(desk.client.get(f"/registrations/{rid}"))
    assert "Aanmeldgegevens gewijzigd" in page
    assert "Bedrijfsnaam werkgever: was" in page and "wordt Bakkerij Van Dam B.V." in page


def test_intake_edit_can_remove_a_director_by_clearing_the_row(desk, staff, make_registration):
    registration, _token = make_registration(directors=[("Jan de Boer", "101"), ("Piet Smit", "102")])
    rid = registration.id
    desk.login(staff["asr"])
    data = intake_form(fresh(rid), **{"directors-0-name": "", "directors-0-personnel_number": ""})
    assert desk.post(rid, "intake", data).status_code == 303
    assert [(d.name, d.personnel_number, d.position) for d in fresh(rid).directors] == [("Piet Smit", "102", 0)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Director)) == 1


def test_intake_edit_without_changes_records_nothing(desk, staff, make_registration):
    registration, _token = make_registration()
    rid = registration.id
    desk.login(staff["asr"])
    before, count = fresh(rid).version, len(events_of(rid))
    assert desk.post(rid, "intake", intake_form(fresh(rid))).status_code == 303
    assert fresh(rid).version == before and len(events_of(rid)) == count


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("payroll_tax_number", "123456789L01", "elfproef"),
        ("payroll_tax_number", "123456782L00", "Subnummer L00 wordt niet gebruikt."),
        ("loket_employer_id", "12345", "Dit lijkt het werkgeversnummer"),
        ("processor_email", "geen-adres", "Vul een geldig e-mailadres in"),
        ("employer_name", "X", "minstens 2 tekens"),
        ("contract_number", "A020-12", "alleen uit letters en cijfers"),
        ("pay_frequency", "weekly", "Kies per maand of per vier weken."),
    ],
)
def test_intake_edit_uses_the_intake_validation(desk, staff, make_registration, field, value, message):
    registration, _token = make_registration()
    rid = registration.id
    desk.login(staff["asr"])
    before = fresh(rid)
    stored = getattr(before, field)
    # The refused value is shown again; a choice not on offer cannot be, so then an edited name is.
    kept, shown = ("employer_name", "Bakkerij Nieuw-West") if field == "pay_frequency" else (field, value)
    response = desk.post(rid, "intake", intake_form(before, **{kept: shown, field: value}))
    assert response.status_code == 422
    assert message in text_of(response)
    assert f'value="{shown}"' in response.get_data(as_text=True)
    after = fresh(rid)
    assert getattr(after, field) == stored and after.version == before.version


def test_intake_edit_four_weekly_with_thirteenth_month_needs_the_confirmation(desk, staff, make_registration):
    registration, _token = make_registration()
    rid = registration.id
    desk.login(staff["asr"])
    data = intake_form(fresh(rid), pay_frequency="four_weekly", thirteenth_month="yes")
    response = desk.post(rid, "intake", data)
    assert response.status_code == 422
    assert "dertien perioden van vier weken zijn geen 13e maand" in text_of(response)
    assert desk.post(rid, "intake", dict(data, confirm_four_weekly_thirteenth="y")).status_code == 303
    assert fresh(rid).pay_frequency == "four_weekly" and fresh(rid).thirteenth_month is True


def test_intake_edit_updates_the_contract_and_duplicate_flags(desk, staff, make_registration):
    other, _ = make_registration(payroll_tax_number="100000009L02")
    registration, _token = make_registration(payroll_tax_number="111222333L01")
    rid = registration.id
    desk.login(staff["asr"])
    data = intake_form(fresh(rid), contract_number="B1100123", payroll_tax_number="100000009L02")
    assert desk.post(rid, "intake", data).status_code == 303
    after = fresh(rid)
    assert after.contract_prefix_warning is True and after.possible_duplicate is True
    changes = events_of(rid)[-1].data["changes"]
    assert changes["possible_duplicate"] == {"before": False, "after": True}
    page = desk.client.get(f"/registrations/{rid}").get_data(as_text=True)
    assert "Mogelijk dubbel" in page
    assert f'href="/registrations/{other.id}"' in page and other.reference in page
    assert "Contractnummer begint niet met A020" in page


def test_marking_intake_checked_and_undoing_it(desk, staff, make_registration):
    registration, _token = make_registration(step="policy")
    rid = registration.id
    desk.login(staff["asr"])
    response = desk.post(rid, "intake/checked", {"checked": "1"}, htmx=True)
    assert response.status_code == 200
    assert "Aanmeldgegevens zijn gecontroleerd door a.s.r." in text_of(response)
    assert fresh(rid).intake_checked is True
    assert desk.post(rid, "intake/checked", {"checked": "0"}).status_code == 303
    assert fresh(rid).intake_checked is False
    assert [e.kind for e in events_of(rid)][-2:] == ["intake_checked", "intake_unchecked"]


# ---------------------------------------------------------------------------
# Assignment and the first-exchange date
# ---------------------------------------------------------------------------


def test_take_assign_to_a_colleague_and_release(desk, staff, make_registration, make_user):
    registration, _token = make_registration()
    rid = registration.id
    colleague = make_user("asr", name="Sander Bakker")
    desk.login(staff["asr"])
    page = desk.client.get(f"/registrations/{rid}").get_data(as_text=True)
    assert f'<option value="{colleague.id}">Sander Bakker' in page
    desk.post(rid, "assign", {"action": "take"})
    assert fresh(rid).assignee_id == staff["asr"].id
    desk.post(rid, "assign", {"action": "assign", "assignee_id": str(colleague.id)})
    assert fresh(rid).assignee_id == colleague.id
    desk.post(rid, "assign", {"action": "release"})
    assert fresh(rid).assignee_id is None
    titles = text_of(desk.client.get(f"/registrations/{rid}"))
    assert "Toegewezen aan Sander Bakker" in titles and "Vrijgegeven: niemand toegewezen" in titles


def test_inactive_colleagues_cannot_be_assigned_and_are_not_offered(desk, staff, make_registration, make_user):
    registration, _token = make_registration()
    gone = make_user("asr", name="Oud Collega", active=False)
    desk.login(staff["asr"])
    assert "Oud Collega" not in desk.client.get(f"/registrations/{registration.id}").get_data(as_text=True)
    response = desk.post(registration.id, "assign", {"action": "assign", "assignee_id": str(gone.id)})
    assert response.status_code == 422
    assert "Deze collega heeft geen actief account." in text_of(response)
    assert fresh(registration.id).assignee_id is None


def test_changing_the_first_exchange_date_keeps_before_and_after(desk, staff, make_registration):
    registration, _token = make_registration(step="setup")
    rid = registration.id
    desk.login(staff["keylane"])
    first, second = today_local() + timedelta(days=10), today_local() + timedelta(days=20)
    desk.post(rid, "first-exchange-date", {"first_exchange_date": first.isoformat()})
    desk.post(rid, "first-exchange-date", {"first_exchange_date": second.strftime("%d-%m-%Y")})
    assert fresh(rid).first_exchange_date == second
    event = events_of(rid)[-1]
    assert event.data == {"before": first.isoformat(), "after": second.isoformat()}
    response = desk.post(rid, "first-exchange-date", {"first_exchange_date": "31-02-2026"})
    assert response.status_code == 422 and "Vul een geldige datum in" in text_of(response)


def test_first_exchange_date_only_in_setup_or_realised(desk, staff, make_registration):
    registration, _token = make_registration(step="policy")
    desk.login(staff["keylane"])
    response = desk.post(registration.id, "first-exchange-date", {"first_exchange_date": "2099-01-01"})
    assert response.status_code == 422
    assert "De datum wordt ingesteld tijdens de inrichting door Keylane." in text_of(response)


def test_timeline_names_staff_processor_and_system_in_amsterdam_time(client, desk, staff, make_registration):
    from datetime import datetime

    from caseapp.changes import record_event

    registration, _token = make_registration()
    event = events_of(registration.id)[0]
    event.created_at = datetime(2026, 7, 1, 10, 15)  # UTC; 12:15 in Amsterdam (summer time)
    record_event(registration, "reminder_sent", actor_label="system")
    db.session.commit()
    desk.login(staff["asr"])
    page = text_of(client.get(f"/registrations/{registration.id}"))
    assert "Aanmelding ontvangen via het aanmeldformulier 1 jul 2026, 12:15 · salarisverwerker" in page
    assert "Herinnering verstuurd aan de salarisverwerker" in page and "· systeem" in page


def test_the_timeline_shows_edits_recorded_in_an_older_shape(desk, staff, make_registration):
    """Events are never rewritten: an edit stored as a [before, after] pair still shows."""
    from caseapp.changes import record_event

    registration, _token = make_registration()
    record_event(registration, "intake_edited", actor=staff["asr"], changes={"employer_name": ["Oud B.V.", "Nieuw B.V."]})
    db.session.commit()
    desk.login(staff["asr"])
    response = desk.client.get(f"/registrations/{registration.id}")
    assert response.status_code == 200
    assert "Oud B.V." in text_of(response) and "Nieuw B.V." in text_of(response)
