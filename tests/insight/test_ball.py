"""The ball-in-court macro the board can put on its cards."""

from datetime import date, datetime, timedelta

from flask import render_template_string

from caseapp.insight.clocks import compute_clock
from caseapp.insight.rules import ContactSummary, assess

T0 = datetime(2025, 3, 3, 9, 0)
MACRO = '{% from "insight/_ball.html" import ball_in_court %}{{ ball_in_court(insight) }}'


def _render(app, events, now, contact=None):
    clock = compute_clock(events, now)
    with app.test_request_context():
        return render_template_string(MACRO, insight=assess(clock, contact, now.date(), limit=5))


def test_a_card_says_who_has_the_ball_and_for_how_long(app):
    html = _render(app, [(T0, "submitted", {})], T0 + timedelta(days=3, hours=5))
    assert "a.s.r. aan zet" in html and "3 dagen" in html
    assert "insight-flag" not in html


def test_a_card_flags_stale_and_due_in_words(app):
    contact = ContactSummary(T0 - timedelta(days=1), date(2025, 3, 7), "Salarisbureau")
    html = _render(app, [(T0, "submitted", {})], T0 + timedelta(days=10), contact)
    assert "Blijft liggen: 8 werkdagen" in html
    assert "Opvolgen sinds 7 mrt" in html


def test_a_card_for_a_waiting_or_withdrawn_registration(app):
    waiting = _render(app, [(T0, "submitted", {}), (T0 + timedelta(hours=2), "waiting_set", {})], T0 + timedelta(hours=20))
    assert "Salarisverwerker aan zet" in waiting and "minder dan een dag" in waiting
    withdrawn = _render(app, [(T0, "submitted", {}), (T0, "withdrawn", {})], T0 + timedelta(days=30))
    assert "Ingetrokken" in withdrawn and "Blijft liggen" not in withdrawn
