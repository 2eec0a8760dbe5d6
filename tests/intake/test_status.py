import hashlib
from datetime import date

import pytest
import sqlalchemy as sa

from caseapp.dates import utcnow
from caseapp.extensions import db
from caseapp.models import ContactLogEntry, PolicyRecord, Registration


def test_unknown_token_is_a_plain_404(client):
    response = client.get("/status/not-a-real-token")
    assert response.status_code == 404
    assert response.mimetype == "text/plain"
    assert "<html" not in response.get_data(as_text=True)


def test_only_the_hash_of_the_token_is_stored(make_registration):
    registration, token = make_registration()
    assert len(token) >= 43
    assert registration.status_token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = db.session.execute(sa.select(Registration.__table__)).mappings().one()
    assert token not in [str(value) for value in row.values()]


def test_status_page_sends_privacy_headers(client, make_registration):
    _, token = make_registration()
    response = client.get(f"/status/{token}")
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_status_page_shows_the_four_steps_with_step_three_current(client, make_registration):
    registration, token = make_registration(employer_name="Bakkerij Van Dam")
    html = client.get(f"/status/{token}").get_data(as_text=True)
    assert registration.reference in html and "Bakkerij Van Dam" in html
    for title in ["Voorwaarden controleren", "Werkgever aanmelden bij a.s.r.", "Polisgegevens en inrichting",
                  "Bevestiging en eerste uitwisseling"]:
        assert title in html
    assert html.count("progress__step--done") == 2
    assert 'progress__step--current" aria-current="step"' in html
    assert "a.s.r. controleert uw aanmelding" in html
    assert "Nog niet bekend" in html


def test_status_page_shows_the_first_exchange_date_once_realised(client, make_registration):
    registration, token = make_registration(step="realised")
    registration.first_exchange_date = date(2027, 2, 1)
    db.session.commit()
    html = client.get(f"/status/{token}").get_data(as_text=True)
    assert "maandag 1 februari 2027" in html
    assert html.count("progress__step--done") == 3


def test_status_page_in_setup_says_keylane_acts(client, make_registration):
    _, token = make_registration(step="setup")
    html = client.get(f"/status/{token}").get_data(as_text=True)
    assert "Keylane, de technische partner van a.s.r., richt de koppeling in" in html


def test_status_page_shows_no_internal_notes(client, make_registration):
    from caseapp.dates import utcnow

    registration, token = make_registration(step="setup")
    db.session.add(PolicyRecord(registration=registration, policy_number="POL-INTERN-1", scheme="Regeling X",
                                start_date=date(2026, 1, 1), note="Interne notitie over premie"))
    db.session.add(ContactLogEntry(registration=registration, occurred_at=utcnow(), channel="phone",
                                   with_whom="Jan", summary="Intern gespreksverslag"))
    db.session.commit()
    html = client.get(f"/status/{token}").get_data(as_text=True)
    for secret in ["POL-INTERN-1", "Interne notitie", "Intern gespreksverslag", registration.payroll_tax_number]:
        assert secret not in html


def test_status_page_offers_a_printable_summary(client, make_registration):
    _, token = make_registration()
    html = client.get(f"/status/{token}").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/static/css/print.css">' in html
    assert "Afdrukken of opslaan als PDF:</strong> gebruik de afdrukfunctie van uw browser" in html  # without JS
    assert '<p data-print-button hidden><button type="button"' in html  # shown by static/js/app.js


@pytest.mark.parametrize(
    ("step", "withdrawn", "team"),
    [("received", False, "ASR"), ("policy", False, "ASR"), ("setup", False, "KEYLANE"),
     ("realised", False, "KEYLANE"), ("live", False, "ASR"), ("setup", True, "ASR")],
)
def test_status_page_says_whom_to_contact_about_the_current_step(client, app, make_registration, step, withdrawn, team):
    app.config.update(ASR_CONTACT_EMAIL="salariskoppeling@asr.example", ASR_CONTACT_PHONE="030 257 80 00",
                      KEYLANE_CONTACT_NAME="Keylane Onboarding", KEYLANE_CONTACT_PHONE="+31 85 123 45 67")
    registration, token = make_registration(step=step)
    if withdrawn:
        registration.withdrawn_at = utcnow()
        registration.withdrawn_reason = "Dubbel aangemeld"
        db.session.commit()
    html = client.get(f"/status/{token}").get_data(as_text=True)

    name, email, phone = (app.config[f"{team}_CONTACT_{field}"] for field in ("NAME", "EMAIL", "PHONE"))
    email = email or app.config["KEYLANE_MAILBOX"]
    assert "Vragen?" in html
    assert f"Neem contact op met {name} en vermeld referentie {registration.reference}." in html
    assert f'<a href="mailto:{email}">{email}</a>' in html
    assert f">{phone}</a>" in html
    other = "ASR" if team == "KEYLANE" else "KEYLANE"
    assert app.config[f"{other}_CONTACT_NAME"] not in html
