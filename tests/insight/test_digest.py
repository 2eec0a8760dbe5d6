"""The weekly digest: what each team is told, in Dutch, as text and HTML."""

from datetime import date, datetime

import pytest

from caseapp.extensions import db
from caseapp.insight.digest import build_digest, digest_week
from tests.factories import moved, submitted

NOW = datetime(2025, 3, 17, 6, 0)  # Monday 07:00 in Amsterdam: the week is 10..16 March


def d(month, day, hour=9):
    return datetime(2025, month, day, hour, 0)


@pytest.fixture()
def week(make_history):
    regs = {
        "submitted": make_history([submitted(d(3, 11))], employer_name="Bakkerij Van Dam"),
        "to_keylane": make_history(
            [submitted(d(3, 5)), moved(d(3, 6), "received", "policy"), moved(d(3, 12), "policy", "setup")],
            employer_name="Drukkerij Peters",
            contacts=[(d(3, 13), date(2025, 3, 14))],
        ),
        "realised": make_history(
            [submitted(d(2, 20)), moved(d(2, 21), "received", "policy"), moved(d(2, 24), "policy", "setup"),
             moved(d(3, 14), "setup", "realised")],
            employer_name="Apotheek Centrum",
        ),
        "stuck": make_history([submitted(d(2, 24))], employer_name="Hovenier Groen & Zn."),
        "withdrawn": make_history([submitted(d(3, 11)), (d(3, 12), "withdrawn", {})], employer_name="Uitgeverij Papier"),
        "last_week": make_history([submitted(d(3, 9, 22))], employer_name="Loodgieter Brouwer"),  # Sunday 23:00
    }
    db.session.commit()
    return regs


def test_the_digest_covers_monday_to_sunday_of_the_week_before():
    assert digest_week(NOW) == (date(2025, 3, 10), date(2025, 3, 16))


def test_the_asr_digest(app, week):
    message = build_digest("asr", NOW)
    assert message.recipient == app.config["ASR_INTAKE_MAILBOX"]
    assert message.subject == "Weekoverzicht a.s.r.: 2 nieuw, 2 blijven liggen, 0 opvolgen, 1 gerealiseerd"
    assert message.counts == {"new": 2, "stuck": 2, "due": 0, "escalated": 0, "realised": 1}
    text = message.text
    assert "Week van 10-03-2025 tot en met 16-03-2025" in text
    new = text[text.index("Nieuw deze week: 2"):text.index("Blijven liggen")]
    assert week["submitted"].reference in new and week["withdrawn"].reference in new
    assert week["to_keylane"].reference not in new and week["last_week"].reference not in new
    stuck = text[text.index("Blijven liggen (meer dan 5 werkdagen"):text.index("Opvolgen")]
    # 24 February to 17 March: 15 working days
    assert f"- {week['stuck'].reference} Hovenier Groen & Zn. (15 werkdagen zonder stapwissel of contact)" in stuck
    assert f"  http://testserver/registrations/{week['stuck'].id}" in stuck
    # submitted late on Sunday 9 March: 6 working days by Monday the 17th, listed after the longer one
    assert stuck.index(week["stuck"].reference) < stuck.index(f"{week['last_week'].reference} Loodgieter Brouwer (6 werkdagen")
    assert f"{week['realised'].reference} Apotheek Centrum (gerealiseerd op 14-03-2025)" in text
    assert "Opvolgen (opvolgdatum bereikt): 0" in text


def test_the_keylane_digest(app, week):
    message = build_digest("keylane", NOW)
    assert message.recipient == app.config["KEYLANE_MAILBOX"]
    assert message.counts == {"new": 1, "stuck": 0, "due": 1, "escalated": 0, "realised": 1}
    text = message.text
    assert f"{week['to_keylane'].reference} Drukkerij Peters (Inrichting Keylane)" in text
    assert f"{week['to_keylane'].reference} Drukkerij Peters (opvolgen sinds 14-03-2025)" in text


def test_the_html_body_links_each_registration_and_escapes_names(app, week):
    html = build_digest("asr", NOW).html
    assert html.startswith("<!doctype html>")
    assert f'<a href="http://testserver/registrations/{week["stuck"].id}">{week["stuck"].reference}</a>' in html
    assert "Hovenier Groen &amp; Zn." in html
    assert "<h2>Gerealiseerd deze week: 1</h2>" in html


def test_an_empty_week_says_so(app):
    message = build_digest("keylane", NOW)
    assert message.counts == {"new": 0, "stuck": 0, "due": 0, "escalated": 0, "realised": 0}
    assert "<p>Geen.</p>" in message.html


def test_the_cli_prints_the_digest_of_each_team(runner, week):
    result = runner.invoke(args=["digest", "send", "--print"])
    assert result.exit_code == 0, result.output
    assert "Subject: Weekoverzicht a.s.r.:" in result.output
    assert "Subject: Weekoverzicht Keylane:" in result.output
    only = runner.invoke(args=["digest", "send", "--print", "--team", "keylane"])
    assert "a.s.r.:" not in only.output.split("\n")[1]
