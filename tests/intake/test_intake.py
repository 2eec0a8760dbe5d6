import re

import pytest
import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.models import Director, Event, Registration
from caseapp.process import PREREQUISITE_KEYS
from tests.factories import send_intake, valid_intake_form

CONTRACT_FIELDS = [
    "processor_name", "processor_email", "employer_name", "contract_number", "payroll_tax_number",
    "loket_employer_id", "pay_frequency", "thirteenth_month", "confirm_four_weekly_thirteenth", "csrf_token",
]


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def assert_nothing_stored():
    assert count(Registration) == 0
    assert count(Director) == 0
    assert count(Event) == 0


def test_intake_form_has_every_field_of_the_public_contract(client):
    response = client.get("/aanmelden")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for name in CONTRACT_FIELDS + [f"prereq_{key}" for key in PREREQUISITE_KEYS]:
        assert f'name="{name}"' in html, name
    assert 'value="monthly"' in html and 'value="four_weekly"' in html
    assert 'value="yes"' in html and 'value="no"' in html
    assert "novalidate" in html
    assert "webservicegebruiker" in html  # the prerequisites are explained


def test_valid_submission_is_stored_normalised_once_the_check_page_sends_it(client):
    form = valid_intake_form(
        payroll_tax_number="1234.56.782 l01",
        loket_employer_id="B14ACD0D-75D7-4FC8-8B22-4A3924585CAB",
        contract_number="a020 1234567",
        **{"directors-0-name": "Jan de Boer", "directors-0-personnel_number": "101",
           "directors-1-name": "Piet Smit", "directors-1-personnel_number": "102"},
    )
    response = send_intake(client, form)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/aanmelden/bevestiging")

    registration = db.session.scalars(sa.select(Registration)).one()
    assert registration.payroll_tax_number == "123456782L01"
    assert registration.loket_employer_id == "b14acd0d-75d7-4fc8-8b22-4a3924585cab"
    assert registration.contract_number == "A0201234567"
    assert registration.step == "received"
    assert registration.pay_frequency == "monthly" and registration.thirteenth_month is False
    assert re.fullmatch(r"AW-\d{4}-00001", registration.reference)
    assert [(d.name, d.personnel_number) for d in registration.directors] == [("Jan de Boer", "101"), ("Piet Smit", "102")]
    events = db.session.scalars(sa.select(Event)).all()
    assert [(e.kind, e.actor_label) for e in events] == [("submitted", "processor")]
    assert registration.contract_prefix_warning is False and registration.possible_duplicate is False


def test_confirmation_shows_reference_next_steps_and_a_working_status_link(client):
    send_intake(client, valid_intake_form())
    page = client.get("/aanmelden/bevestiging").get_data(as_text=True)
    registration = db.session.scalars(sa.select(Registration)).one()
    assert registration.reference in page
    assert "Wat gebeurt er nu?" in page and "Keylane" in page
    status_url = re.search(r'href="(http[^"]+/status/[^"]+)"', page).group(1)
    path = status_url.split("testserver", 1)[-1] if "testserver" in status_url else status_url[status_url.index("/status/"):]
    status = client.get(path)
    assert status.status_code == 200
    assert registration.reference in status.get_data(as_text=True)


def test_references_are_sequential(client):
    send_intake(client, valid_intake_form())
    send_intake(client, valid_intake_form(payroll_tax_number="111222333L01",
                                          loket_employer_id="11111111-2222-4333-8444-555555555555"))
    references = db.session.scalars(sa.select(Registration.reference).order_by(Registration.id)).all()
    assert [r[-5:] for r in references] == ["00001", "00002"]


@pytest.mark.parametrize(
    "field, value, field_id, message",
    [
        ("processor_name", "", "processor_name", "Vul de bedrijfsnaam van de salarisverwerker in."),
        ("processor_name", "X", "processor_name", "minstens 2 tekens"),
        ("employer_name", "W" * 71, "employer_name", "hoogstens 70 tekens"),
        ("processor_email", "geen-adres", "processor_email", "Vul een geldig e-mailadres in"),
        ("contract_number", "A020-12", "contract_number", "alleen uit letters en cijfers"),
        ("payroll_tax_number", "123456789L01", "payroll_tax_number", "elfproef"),
        ("payroll_tax_number", "123456782L00", "payroll_tax_number", "L00"),
        ("payroll_tax_number", "12345678", "payroll_tax_number", "9 cijfers, de letter L en 2 cijfers"),
        ("loket_employer_id", "48213", "loket_employer_id", "Dit lijkt het werkgeversnummer"),
        ("loket_employer_id", "abc", "loket_employer_id", "36 tekens"),
        ("pay_frequency", None, "pay_frequency-0", "Kies hoe vaak de salarissen worden verwerkt"),
        ("pay_frequency", "weekly", "pay_frequency-0", "Kies per maand of per vier weken"),
        ("thirteenth_month", None, "thirteenth_month-0", "Kies of er een 13e maand wordt uitbetaald"),
        ("prereq_standard_user", None, "prereq_standard_user", "Bevestig: Nieuwe standaardgebruiker in Loket.nl."),
        ("prereq_right_hrm", None, "prereq_right_hrm", "Bevestig: Raadplegen HRM."),
    ],
)
def test_invalid_field_gets_422_error_summary_and_stores_nothing(client, field, value, field_id, message):
    form = valid_intake_form(**{field: value})
    if value is None:
        form.pop(field, None)
    response = client.post("/aanmelden", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r"<title>Fout: ", html)
    summary = html[html.index('id="error-summary"'):html.index("</ul>", html.index('id="error-summary"'))]
    assert f'href="#{field_id}"' in summary
    assert message in summary
    assert f'id="{field_id}"' in html  # the link lands on a real element
    assert_nothing_stored()


def test_invalid_submission_keeps_every_value(client):
    form = valid_intake_form(
        payroll_tax_number="123456789L01",
        pay_frequency="four_weekly",
        thirteenth_month="yes",
        confirm_four_weekly_thirteenth="y",
        **{"directors-0-name": "Jan de Boer", "directors-0-personnel_number": "101"},
    )
    form.pop("prereq_active_user")
    html = client.post("/aanmelden", data=form).get_data(as_text=True)
    for value in ["Salarisbureau Noord B.V.", "loket@salarisnoord.nl", "Bakkerij Van Dam", "A0201234567",
                  "123456789L01", "b14acd0d-75d7-4fc8-8b22-4a3924585cab", "Jan de Boer", 'value="101"']:
        assert value in html, value
    assert re.search(r'value="four_weekly" checked', html)
    assert re.search(r'value="yes" checked', html)
    assert re.search(r'id="confirm_four_weekly_thirteenth"[^>]*checked', html)
    assert re.search(r'id="prereq_standard_user"[^>]*checked', html)
    assert not re.search(r'id="prereq_active_user"[^>]*checked', html)


def test_four_weekly_with_thirteenth_month_needs_explicit_confirmation(client):
    form = valid_intake_form(pay_frequency="four_weekly", thirteenth_month="yes")
    response = client.post("/aanmelden", data=form)
    assert response.status_code == 422
    assert "dertien perioden van vier weken zijn geen 13e maand" in response.get_data(as_text=True)
    assert_nothing_stored()

    form["confirm_four_weekly_thirteenth"] = "y"
    assert send_intake(client, form).status_code == 303
    registration = db.session.scalars(sa.select(Registration)).one()
    assert registration.pay_frequency == "four_weekly" and registration.thirteenth_month is True


@pytest.mark.parametrize("frequency, thirteenth", [("four_weekly", "no"), ("monthly", "yes")])
def test_other_combinations_need_no_confirmation(client, frequency, thirteenth):
    assert client.post("/aanmelden", data=valid_intake_form(pay_frequency=frequency, thirteenth_month=thirteenth)).status_code == 303


def test_contract_number_without_prefix_is_accepted_with_warning_and_flag(client):
    response = send_intake(client, valid_intake_form(contract_number="b7654321"))
    assert response.status_code == 303
    registration = db.session.scalars(sa.select(Registration)).one()
    assert registration.contract_number == "B7654321"
    assert registration.contract_prefix_warning is True
    page = client.get("/aanmelden/bevestiging").get_data(as_text=True)
    assert "begint niet met A020" in page


@pytest.mark.parametrize(
    "rows, field_id, message",
    [
        ({"directors-0-name": "Jan", "directors-0-personnel_number": ""}, "directors-0-personnel_number", "Vul het personeelsnummer van de DGA in."),
        ({"directors-0-name": "", "directors-0-personnel_number": "12"}, "directors-0-name", "Vul de naam van de DGA in."),
        ({"directors-0-name": "Jan", "directors-0-personnel_number": "12b"}, "directors-0-personnel_number", "alleen uit cijfers"),
        ({"directors-0-name": "Jan", "directors-0-personnel_number": "12",
          "directors-1-name": "Piet", "directors-1-personnel_number": "012"}, "directors-1-personnel_number", "staat al bij een andere DGA"),
    ],
)
def test_director_rows_are_checked(client, rows, field_id, message):
    response = client.post("/aanmelden", data=valid_intake_form(**rows))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'href="#{field_id}"' in html and message in html
    assert_nothing_stored()


def test_an_entirely_empty_director_row_is_ignored(client):
    form = valid_intake_form(**{"directors-0-name": "", "directors-0-personnel_number": "",
                                "directors-1-name": "Jan", "directors-1-personnel_number": "7"})
    assert send_intake(client, form).status_code == 303
    assert [(d.name, d.personnel_number, d.position) for d in db.session.scalars(sa.select(Director))] == [("Jan", "7", 0)]


def test_add_director_without_javascript_rerenders_with_one_more_row(client):
    form = valid_intake_form(**{"directors-0-name": "Jan", "directors-0-personnel_number": "7"}, action="add_director")
    response = client.post("/aanmelden", data=form)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="directors-1-name"' in html and 'name="directors-1-personnel_number"' in html
    assert 'value="Jan"' in html and "Bakkerij Van Dam" in html
    assert 'id="error-summary"' not in html  # adding a row is not a failed submit
    assert re.search(r'id="directors-1-name"[^>]*autofocus', html)
    assert_nothing_stored()


def test_remove_director_without_javascript_renumbers_the_rest(client):
    form = valid_intake_form(**{"directors-0-name": "Jan", "directors-0-personnel_number": "7",
                                "directors-1-name": "Piet", "directors-1-personnel_number": "8",
                                "directors-2-name": "Kees", "directors-2-personnel_number": "9"},
                             action="remove_director-1")
    html = client.post("/aanmelden", data=form).get_data(as_text=True)
    assert 'value="Piet"' not in html
    assert re.search(r'name="directors-1-name" value="Kees"', html)
    assert 'name="directors-2-name"' not in html
    assert_nothing_stored()


def test_add_director_with_htmx_answers_with_the_fieldset_only(client):
    form = valid_intake_form(**{"directors-0-name": "Jan", "directors-0-personnel_number": "7"}, action="add_director")
    response = client.post("/aanmelden/dga", data=form, headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="form-section" aria-labelledby="section-directors" id="directors-fieldset">')
    assert "<html" not in html and "processor_name" not in html
    assert 'value="Jan"' in html and 'name="directors-1-name"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_remove_director_with_htmx(client):
    form = valid_intake_form(**{"directors-0-name": "Jan", "directors-0-personnel_number": "7"}, action="remove_director-0")
    html = client.post("/aanmelden/dga", data=form, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'name="directors-0-name"' not in html
    assert "Geen DGA toegevoegd" in html


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("payroll_tax_number", "123456789L01", "elfproef"),
        ("payroll_tax_number", "123456782L01", "Loonheffingennummer klopt."),
        ("loket_employer_id", "12345", "Dit lijkt het werkgeversnummer"),
        ("loket_employer_id", "b14acd0d-75d7-4fc8-8b22-4a3924585cab", "Werkgever ID heeft de juiste vorm."),
        ("contract_number", "B123", "begint niet met A020"),
    ],
)
def test_inline_check_answers_with_the_field_group(client, field, value, expected):
    response = client.post(f"/aanmelden/controle/{field}", data={field: value},
                           headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div class="form-group')
    assert expected in html
    assert "<html" not in html
    assert_nothing_stored()


def test_inline_check_of_an_unknown_field_is_404(client):
    response = client.post("/aanmelden/controle/processor_email", data={}, headers={"HX-Request": "true"})
    assert response.status_code == 404


def test_honeypot_filled_in_stores_nothing(client):
    response = client.post("/aanmelden", data=valid_intake_form(website="http://spam.example"))
    assert response.status_code == 422
    assert_nothing_stored()


def test_possible_duplicate_is_accepted_and_flagged(client, make_registration):
    existing, _ = make_registration(payroll_tax_number="123456782L01")
    response = send_intake(client, valid_intake_form(payroll_tax_number="123456782L01"))
    assert response.status_code == 303
    new = db.session.scalars(sa.select(Registration).order_by(Registration.id.desc())).first()
    assert new.possible_duplicate is True
    event = db.session.scalars(sa.select(Event).where(Event.registration_id == new.id)).one()
    assert event.data["possible_duplicate_of"] == [existing.reference]


def test_same_werkgever_id_is_a_possible_duplicate(client, make_registration):
    make_registration(loket_employer_id="b14acd0d-75d7-4fc8-8b22-4a3924585cab", payroll_tax_number="111222333L01")
    send_intake(client, valid_intake_form())
    new = db.session.scalars(sa.select(Registration).order_by(Registration.id.desc())).first()
    assert new.possible_duplicate is True


@pytest.mark.parametrize("closed", ["live", "withdrawn"])
def test_closed_registrations_do_not_count_as_duplicates(client, make_registration, closed):
    from caseapp.dates import utcnow

    existing, _ = make_registration(payroll_tax_number="123456782L01")
    if closed == "live":
        existing.step = "live"
    else:
        existing.withdrawn_at = utcnow()
    db.session.commit()
    send_intake(client, valid_intake_form())
    new = db.session.scalars(sa.select(Registration).order_by(Registration.id.desc())).first()
    assert new.possible_duplicate is False


def test_csrf_token_is_required(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/aanmelden", data=valid_intake_form())
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)
    assert_nothing_stored()


def test_csrf_token_from_the_page_is_accepted(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    html = client.get("/aanmelden").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = send_intake(client, valid_intake_form(csrf_token=token))
    assert response.status_code == 303 and response.headers["Location"].endswith("/aanmelden/bevestiging")
    assert count(Registration) == 1


def test_the_check_pages_post_needs_the_csrf_token_too(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    html = client.get("/aanmelden").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    assert client.post("/aanmelden", data=valid_intake_form(csrf_token=token)).status_code == 303
    assert client.post("/aanmelden/controleren", data={}).status_code == 400
    assert_nothing_stored()


def test_an_unexpected_error_shows_no_stack_trace(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "secret internals" not in html and "Traceback" not in html
    assert "Er ging iets mis" in html


def test_confirmation_without_a_submission_goes_back_to_the_form(client):
    response = client.get("/aanmelden/bevestiging")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/aanmelden")
