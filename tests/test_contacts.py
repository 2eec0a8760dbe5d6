"""Who the processor contacts: the team that owns the step (a.s.r. once live or
withdrawn), from the settings; and settings that would break a mail header refuse
to start the app."""

from __future__ import annotations

import pytest

from caseapp import create_app
from caseapp.config import TestConfig
from caseapp.contacts import contact_for, team_contact
from caseapp.dates import utcnow


@pytest.mark.parametrize(
    ("step", "withdrawn", "team"),
    [
        ("received", False, "asr"),
        ("policy", False, "asr"),
        ("setup", False, "keylane"),
        ("realised", False, "keylane"),
        ("live", False, "asr"),
        ("setup", True, "asr"),
        ("realised", True, "asr"),
    ],
)
def test_the_contact_is_the_team_that_owns_the_step_and_asr_once_live_or_withdrawn(
    make_registration, step, withdrawn, team
):
    registration, _token = make_registration(step=step)
    if withdrawn:
        registration.withdrawn_at = utcnow()
    assert contact_for(registration).team == team


def test_a_teams_contact_address_defaults_to_its_mailbox(app):
    app.config.update(ASR_INTAKE_MAILBOX="intake@asr.example", KEYLANE_MAILBOX="koppeling@keylane.example",
                      KEYLANE_CONTACT_EMAIL="onboarding@keylane.example")
    assert team_contact("asr").email == "intake@asr.example"
    assert team_contact("keylane").email == "onboarding@keylane.example"


def test_the_default_contacts_are_complete(app):
    for team in ("asr", "keylane"):
        contact = team_contact(team)
        assert contact.name and contact.email and contact.phone
        assert contact.reply_to.endswith(f"<{contact.email}>")


def test_without_an_address_there_is_no_reply_to(app):
    app.config.update(KEYLANE_MAILBOX="", KEYLANE_CONTACT_EMAIL=None)
    contact = team_contact("keylane")
    assert contact.email is None and contact.reply_to is None
    assert contact.name == "Keylane Servicedesk salariskoppeling"


def test_a_name_without_the_team_in_it_is_shown_with_the_team(app):
    app.config["KEYLANE_CONTACT_NAME"] = "Kees Jansen"
    assert team_contact("keylane").who == "Kees Jansen (Keylane)"
    assert team_contact("asr").who == "a.s.r. Aanmelddesk salariskoppeling"


def start(**settings):
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", **settings}, config_class=TestConfig)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("ASR_CONTACT_NAME", "a.s.r.\r\nBcc: spion@evil.example"),
        ("KEYLANE_CONTACT_NAME", "Keylane\nX-Geplant: ja"),
        ("ASR_CONTACT_NAME", "a.s.r.\u2028Bcc: spion@evil.example"),
        ("ASR_CONTACT_NAME", "a.s.r.\tAanmelddesk"),
        ("KEYLANE_CONTACT_NAME", "Keylane, Bcc: spion@evil.example"),
        ("ASR_CONTACT_NAME", 'a.s.r. "Aanmelddesk" <spion@evil.example>'),
        ("ASR_CONTACT_NAME", "x" * 101),
        ("ASR_CONTACT_EMAIL", "intake@asr.example\r\nBcc: spion@evil.example"),
        ("ASR_CONTACT_EMAIL", "intake@asr.example, spion@evil.example"),
        ("KEYLANE_CONTACT_EMAIL", "geen adres"),
        ("ASR_INTAKE_MAILBOX", "intake@asr.example\nBcc: spion@evil.example"),
        ("KEYLANE_CONTACT_PHONE", "085 123 45 67\r\nBcc: spion@evil.example"),
        ("ASR_CONTACT_PHONE", "bel ons"),
    ],
)
def test_a_contact_setting_that_could_plant_a_header_refuses_to_start(setting, value):
    with pytest.raises(RuntimeError, match=setting):
        start(**{setting: value})


def test_usual_contact_settings_start():
    started = start(
        ASR_CONTACT_NAME="a.s.r. Team Salariskoppelingen & Pensioenen", ASR_CONTACT_EMAIL="team@asr.example",
        ASR_CONTACT_PHONE="+31 (0)30 257 80 00", KEYLANE_CONTACT_NAME="Zoë’s Keylane-team", KEYLANE_CONTACT_PHONE="",
    )
    assert started.config["KEYLANE_CONTACT_PHONE"] == ""
