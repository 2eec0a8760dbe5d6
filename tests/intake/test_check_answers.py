"""Check your answers: a valid intake is shown once more, with a "wijzigen" link per answer,
and only the check page's "Aanmelding versturen" stores it -- exactly once."""

import html as htmllib
import random
import re
import string

import pytest
import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.intake.answers import SESSION_KEY
from caseapp.models import Director, Event, OutboxMessage, Registration
from caseapp.process import PREREQUISITES
from tests.factories import valid_intake_form

CHECK = "/aanmelden/controleren"
TWO_DGAS = {"directors-0-name": "Jan de Boer", "directors-0-personnel_number": "101",
            "directors-1-name": "Piet Smit", "directors-1-personnel_number": "102"}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def assert_nothing_stored():
    for model in (Registration, Director, Event, OutboxMessage):
        assert count(model) == 0, model.__name__


def answer_rows(html: str) -> dict[str, tuple[str, str]]:
    """{key: (value text, href of its wijzigen link)} of the check page's summary lists."""
    rows = {}
    pattern = r'<dt>(.*?)</dt>\s*<dd>(.*?)</dd>\s*<dd class="summary-list__actions"><a href="([^"]+)">wijzigen<span class="visually-hidden"> (.*?)</span>'
    for key, value, href, hidden in re.findall(pattern, html, re.S):
        assert htmllib.unescape(hidden) == htmllib.unescape(key)  # the link names its answer
        text = " ".join(re.sub(r"<[^>]+>", " ", htmllib.unescape(value)).split())
        rows[htmllib.unescape(key)] = (text, href)
    return rows


def pending(client) -> dict:
    with client.session_transaction() as session:
        return session[SESSION_KEY]


def alter_pending(client, change) -> None:
    with client.session_transaction() as session:
        answers = session[SESSION_KEY]
        change(answers)
        session[SESSION_KEY] = answers


def test_a_valid_intake_goes_to_the_check_page_and_stores_nothing(client):
    response = client.post("/aanmelden", data=valid_intake_form(**TWO_DGAS))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(CHECK)
    assert_nothing_stored()


def test_the_check_page_lists_every_answer_with_a_wijzigen_link_to_its_field(client):
    form = valid_intake_form(payroll_tax_number="1234.56.782 l01", pay_frequency="four_weekly",
                             thirteenth_month="yes", confirm_four_weekly_thirteenth="y", **TWO_DGAS)
    client.post("/aanmelden", data=form)
    response = client.get(CHECK)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<title>Controleer uw gegevens – " in html
    assert re.search(r"<h1>Controleer uw gegevens</h1>", html)

    rows = answer_rows(html)
    expected = {
        "Bedrijfsnaam salarisverwerker": ("Salarisbureau Noord B.V.", "#processor_name"),
        "E-mailadres salarisverwerker": ("loket@salarisnoord.nl", "#processor_email"),
        "Bedrijfsnaam te koppelen werkgever": ("Bakkerij Van Dam", "#employer_name"),
        "Raamwerkcontractnummer": ("A0201234567", "#contract_number"),
        "Loonheffingennummer": ("123456782L01", "#payroll_tax_number"),  # normalised
        "Werkgever ID (Loket.nl)": ("b14acd0d-75d7-4fc8-8b22-4a3924585cab", "#loket_employer_id"),
        "DGA 1": ("Jan de Boer personeelsnummer 101", "#directors-0-name"),
        "DGA 2": ("Piet Smit personeelsnummer 102", "#directors-1-name"),
        "Verloningsfrequentie": ("Per vier weken", "#pay_frequency-1"),
        "Wordt er een 13e maand uitbetaald?": ("Ja", "#thirteenth_month-0"),
    }
    for key, (value, anchor) in expected.items():
        assert rows[key] == (value, f"/aanmelden{anchor}"), key
    assert rows["Vierwekelijks én een 13e maand"][1] == "/aanmelden#confirm_four_weekly_thirteenth"
    user, rights = rows["De Loket.nl-gebruiker"], rows["De zes rechten"]
    for prerequisite in PREREQUISITES:
        assert str(prerequisite.label) in (user if prerequisite.group == "user" else rights)[0]
    assert user[1] == "/aanmelden#prereq_standard_user" and rights[1] == "/aanmelden#prereq_right_bsn"
    assert "begint niet met A020" not in html

    # One primary button, in a form that posts to the check page itself.
    assert html.count('class="button button--primary"') == 1
    assert re.search(r'<form method="post" action="/aanmelden/controleren"[^>]*>.*?Aanmelding versturen</button>', html, re.S)
    assert_nothing_stored()


def test_the_check_page_warns_about_a_contract_number_without_the_prefix_and_shows_no_dgas(client):
    client.post("/aanmelden", data=valid_intake_form(contract_number="b7654321"))
    html = client.get(CHECK).get_data(as_text=True)
    rows = answer_rows(html)
    assert rows["Raamwerkcontractnummer"][0].startswith("B7654321 Let op: dit nummer begint niet met A020.")
    assert rows["DGA’s"] == ("Geen DGA opgegeven", "/aanmelden#directors-fieldset")
    assert "Vierwekelijks én een 13e maand" not in rows


def test_wijzigen_shows_the_form_filled_in_with_the_answers(client):
    form = valid_intake_form(pay_frequency="four_weekly", thirteenth_month="yes",
                             confirm_four_weekly_thirteenth="y", **TWO_DGAS)
    client.post("/aanmelden", data=form)
    check = client.get(CHECK).get_data(as_text=True)

    response = client.get("/aanmelden")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for name in ("processor_name", "processor_email", "employer_name", "contract_number",
                 "payroll_tax_number", "loket_employer_id", "directors-0-name", "directors-0-personnel_number",
                 "directors-1-name", "directors-1-personnel_number"):
        assert re.search(rf'name="{name}"[^>]*value="{re.escape(htmllib.escape(form[name]))}"', html), name
    assert re.search(r'value="four_weekly" checked', html) and re.search(r'value="yes" checked', html)
    for name in ["confirm_four_weekly_thirteenth"] + [f"prereq_{p.key}" for p in PREREQUISITES]:
        assert re.search(rf'id="{name}"[^>]*checked', html), name
    assert 'id="error-summary"' not in html
    # Every wijzigen link lands on an element of the form.
    for _value, href in answer_rows(check).values():
        assert f'id="{href.split("#", 1)[1]}"' in html, href
    assert_nothing_stored()


def test_sending_stores_one_registration_queues_its_two_emails_and_confirms(client):
    client.post("/aanmelden", data=valid_intake_form(**TWO_DGAS))
    response = client.post(CHECK)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/aanmelden/bevestiging")

    registration = db.session.scalars(sa.select(Registration)).one()
    assert [(d.name, d.personnel_number) for d in registration.directors] == [("Jan de Boer", "101"), ("Piet Smit", "102")]
    assert registration.prerequisites_confirmed_at is not None
    mails = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.kind, m.registration_id) for m in mails] == [("submission_received", registration.id),
                                                            ("new_registration", registration.id)]
    assert mails[0].recipient == "loket@salarisnoord.nl"
    page = client.get("/aanmelden/bevestiging").get_data(as_text=True)
    assert registration.reference in page
    assert '<link rel="stylesheet" href="/static/css/print.css">' in page and "Afdrukken of opslaan als PDF" in page
    # The answers are used up: the form is empty again for the next employer.
    assert "Salarisbureau Noord" not in client.get("/aanmelden").get_data(as_text=True)
    assert client.get(CHECK).status_code == 302


def test_sending_twice_stores_one_registration(client):
    client.post("/aanmelden", data=valid_intake_form())
    assert client.post(CHECK).headers["Location"].endswith("/aanmelden/bevestiging")

    again = client.post(CHECK)
    assert again.status_code == 303 and again.headers["Location"].endswith("/aanmelden/bevestiging")
    assert count(Registration) == 1 and count(OutboxMessage) == 2
    page = client.get("/aanmelden/bevestiging").get_data(as_text=True)
    assert "Deze aanmelding is al verstuurd en één keer ontvangen." in page


def test_a_second_send_with_an_old_copy_of_the_session_stores_nothing_more(client):
    """A double click, or two tabs: the second POST still carries the answers."""
    client.post("/aanmelden", data=valid_intake_form())
    cookie = client.get_cookie("session").value
    assert client.post(CHECK).status_code == 303

    client.set_cookie("session", cookie)
    again = client.post(CHECK)
    assert again.status_code == 303 and again.headers["Location"].endswith("/aanmelden/bevestiging")
    assert count(Registration) == 1 and count(Event) == 1 and count(OutboxMessage) == 2
    page = client.get("/aanmelden/bevestiging").get_data(as_text=True)
    assert db.session.scalar(sa.select(Registration.reference)) in page
    assert "Deze aanmelding is al verstuurd en één keer ontvangen." in page


def test_the_check_page_without_answers_goes_back_to_the_form(client):
    response = client.get(CHECK)
    assert response.status_code == 302 and response.headers["Location"].endswith("/aanmelden")

    response = client.post(CHECK)
    assert response.status_code == 303 and response.headers["Location"].endswith("/aanmelden")
    assert "Er zijn geen gegevens om te versturen." in client.get("/aanmelden").get_data(as_text=True)
    assert_nothing_stored()


@pytest.mark.parametrize(
    "change, field_id, message",
    [
        (lambda a: a["values"].update(payroll_tax_number="123456789L01"), "payroll_tax_number", "elfproef"),
        (lambda a: a["values"].update(loket_employer_id="48213"), "loket_employer_id", "werkgeversnummer"),
        (lambda a: a["values"].update(pay_frequency="weekly"), "pay_frequency-0", "Kies per maand of per vier weken"),
        (lambda a: a["values"].pop("processor_email"), "processor_email", "Vul het e-mailadres in."),
        (lambda a: a["ticked"].remove("prereq_right_hrm"), "prereq_right_hrm", "Bevestig: Raadplegen HRM."),
        (lambda a: a.update(directors=[["Jan", "7"], ["Piet", "007"]]), "directors-1-personnel_number", "staat al bij een andere DGA"),
        (lambda a: a.update(values="geen woordenboek"), "processor_name", "Vul de bedrijfsnaam van de salarisverwerker in."),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_altered_answers_go_back_to_the_form_with_errors_and_store_nothing(client, change, field_id, message, method):
    client.post("/aanmelden", data=valid_intake_form())
    alter_pending(client, change)
    response = client.open(CHECK, method=method)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r"<title>Fout: Werkgever aanmelden", html)
    summary = html[html.index('id="error-summary"'):html.index("</ul>", html.index('id="error-summary"'))]
    assert f'href="#{field_id}"' in summary and message in summary
    assert 'action="/aanmelden"' in html  # the form, to correct and send again
    assert_nothing_stored()


def test_a_session_with_a_broken_answers_id_is_no_answers(client):
    client.post("/aanmelden", data=valid_intake_form())
    alter_pending(client, lambda a: a.update(id="kort"))
    assert client.post(CHECK).headers["Location"].endswith("/aanmelden")
    assert_nothing_stored()


def test_answers_changed_in_another_tab_are_shown_again_before_they_are_sent(client):
    client.post("/aanmelden", data=valid_intake_form())
    shown = re.search(r'name="answers_id" value="([^"]+)"', client.get(CHECK).get_data(as_text=True)).group(1)
    client.post("/aanmelden", data=valid_intake_form(employer_name="Slagerij De Haan"))  # the other tab

    response = client.post(CHECK, data={"answers_id": shown})
    assert response.status_code == 303 and response.headers["Location"].endswith(CHECK)
    assert_nothing_stored()
    html = client.get(CHECK).get_data(as_text=True)
    assert "Uw gegevens zijn intussen gewijzigd" in html and "Slagerij De Haan" in html

    current = re.search(r'name="answers_id" value="([^"]+)"', html).group(1)
    assert client.post(CHECK, data={"answers_id": current}).status_code == 303
    assert db.session.scalar(sa.select(Registration.employer_name)) == "Slagerij De Haan"


def test_the_largest_intake_fits_in_the_session_cookie(client):
    """Browsers keep cookies up to 4096 bytes: 20 DGAs with the longest names allowed must fit."""
    rng = random.Random(14)
    rows = {}
    for n in range(20):
        rows[f"directors-{n}-name"] = "".join(rng.choice(string.ascii_letters + " ") for _ in range(119)) + "x"
        rows[f"directors-{n}-personnel_number"] = str(rng.randrange(10**11, 10**12))
    form = valid_intake_form(processor_name="P" * 70, employer_name="W" * 70, contract_number="A020" + "9" * 26,
                             processor_email="a" * 60 + "@" + "b" * 60 + ".nl", **rows)
    response = client.post("/aanmelden", data=form)
    assert response.status_code == 303
    assert len(response.headers["Set-Cookie"]) < 4000
    assert len(pending(client)["directors"]) == 20


def test_the_confirmation_page_shows_the_status_link_on_the_public_address(app, client):
    forged = {"Host": "aanmelden.evil.example", "X-Forwarded-Host": "evil.example"}
    client.post("/aanmelden", data=valid_intake_form(), headers=forged)
    client.post("/aanmelden/controleren", headers=forged)
    page = client.get("/aanmelden/bevestiging", headers=forged).get_data(as_text=True)
    assert "evil.example" not in page
    assert f'href="{app.config["BASE_URL"]}/status/' in page


def test_the_status_link_token_is_never_in_the_session_cookie(app, client):
    from flask.sessions import SecureCookieSessionInterface

    from caseapp.models import Registration

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    cookies = []
    client.post("/aanmelden", data=valid_intake_form())
    cookies.append(client.get_cookie("session").value)
    client.post("/aanmelden/controleren")
    cookies.append(client.get_cookie("session").value)
    page = client.get("/aanmelden/bevestiging").get_data(as_text=True)
    token = re.search(r"/status/([A-Za-z0-9_-]+)", page).group(1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1
    for cookie in cookies:
        assert token not in cookie and token not in str(serializer.loads(cookie))
    assert client.get(f"/status/{token}").status_code == 200
