"""/my: what is due today for the logged-in user and their team, and why."""

from datetime import timedelta

import pytest

from caseapp.extensions import db
from tests.factories import submitted
from tests.insight.conftest import days_ago, today_local


def _setup_trail(n_days):
    start = days_ago(n_days + 3)
    return [
        submitted(start),
        (start + timedelta(days=1), "step_changed", {"from": "received", "to": "policy"}),
        (days_ago(n_days), "step_changed", {"from": "policy", "to": "setup"}),
    ]


@pytest.fixture()
def desk(login_as, make_staff, make_history):
    """A keylane engineer's world, built relative to today; the engineer is logged in."""
    me = login_as("keylane", name="Kees Jansen")
    colleague = make_staff("keylane", name="Karin Bos")
    yesterday = today_local() - timedelta(days=1)
    regs = {
        "due_mine": make_history(_setup_trail(3), assignee=me, employer_name="Bakkerij Van Dam",
                                 contacts=[(days_ago(2), yesterday)]),
        "answered": make_history(_setup_trail(3), assignee=colleague,
                                 contacts=[(days_ago(2), yesterday), (days_ago(1), None)]),
        "stale_team": make_history(_setup_trail(30), employer_name="Drukkerij Peters"),
        "stale_mine_asr_step": make_history(
            [submitted(days_ago(31)), (days_ago(30), "step_changed", {"from": "received", "to": "policy"})],
            assignee=me, employer_name="Apotheek Centrum",
        ),
        "stale_other_team": make_history([submitted(days_ago(30))], employer_name="Hovenier Groen"),
        "waiting": make_history(_setup_trail(31) + [(days_ago(30), "waiting_set", {"reason": "rechten"})],
                                employer_name="Autobedrijf Smits"),
        "withdrawn": make_history(_setup_trail(31) + [(days_ago(30), "withdrawn", {})],
                                  contacts=[(days_ago(29), yesterday)], employer_name="Uitgeverij Papier"),
        "fresh": make_history(_setup_trail(1), employer_name="ICT Services Oost"),
    }
    return me, regs


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_my_work_needs_a_login(client):
    response = client.get("/my")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    partial = client.get("/my", headers={"HX-Request": "true"})
    assert partial.status_code == 401 and "/login" in partial.headers["HX-Redirect"]


def test_my_work_lists_due_stale_and_long_waiting_with_the_reason(client, desk):
    me, regs = desk
    html = client.get("/my").get_data(as_text=True)

    due = _section(html, "due-title")
    assert f'href="/registrations/{regs["due_mine"].id}"' in due
    assert "Opvolgdatum" in due and "is bereikt" in due
    assert f'/registrations/{regs["answered"].id}"' not in due  # a later contact answered it
    assert f'/registrations/{regs["withdrawn"].id}"' not in html

    stale = _section(html, "stale-title")
    assert f'href="/registrations/{regs["stale_team"].id}"' in stale
    assert "werkdagen bij Keylane zonder stapwissel of contact" in stale
    # assigned to me, though a.s.r. owns the step: listed, and the reason names a.s.r.
    assert f'href="/registrations/{regs["stale_mine_asr_step"].id}"' in stale
    assert "werkdagen bij a.s.r. zonder stapwissel of contact" in stale
    assert f'/registrations/{regs["stale_other_team"].id}"' not in html
    assert f'/registrations/{regs["fresh"].id}"' not in html

    waiting = _section(html, "waiting-title")
    assert f'href="/registrations/{regs["waiting"].id}"' in waiting
    assert "werkdagen op de salarisverwerker: rechtenontbreken" not in waiting
    assert "op de salarisverwerker: rechten ontbreken" in waiting


def test_mine_comes_first_and_is_marked_in_words(client, desk, make_history):
    me, regs = desk
    html = client.get("/my").get_data(as_text=True)
    stale = _section(html, "stale-title")
    assert stale.index(f'/registrations/{regs["stale_mine_asr_step"].id}"') < stale.index(
        f'/registrations/{regs["stale_team"].id}"'
    )
    assert 'insight-tag--mine">u zelf<' in stale


def test_an_asr_employee_sees_the_asr_steps(client, desk, login_as):
    _me, regs = desk
    login_as("asr")
    html = client.get("/my").get_data(as_text=True)
    assert f'/registrations/{regs["stale_other_team"].id}"' in html
    assert f'/registrations/{regs["stale_mine_asr_step"].id}"' in html
    assert f'/registrations/{regs["stale_team"].id}"' not in html


def test_my_work_costs_the_same_queries_for_few_and_many(client, desk, make_history, count_queries):
    me, _regs = desk
    db.session.expire_all()
    with count_queries() as small:
        assert client.get("/my").status_code == 200
    for n in range(25):
        make_history(_setup_trail(20 + n), contacts=[(days_ago(10), today_local() - timedelta(days=2))])
    db.session.expire_all()
    with count_queries() as large:
        html = client.get("/my").get_data(as_text=True)
    assert html.count('href="/registrations/') > 25
    assert len(small) == len(large) == 2  # user; registrations with their ball and latest contact

