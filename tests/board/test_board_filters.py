"""Filters: a GET form, so every view of the board is a shareable URL."""

from __future__ import annotations

import pytest

from caseapp.dates import utcnow
from caseapp.extensions import db
from caseapp.models import User

from .conftest import HTMX_PARTIAL, card_ids


@pytest.fixture()
def three(make_registration):
    bakery, _ = make_registration(
        employer_name="Bakkerij Van Dam", processor_name="Salarisbureau Noord B.V.",
        contract_number="A0201234567", payroll_tax_number="123456782L01",
    )
    dentist, _ = make_registration(
        employer_name="Tandartspraktijk Zuid", processor_name="Payroll Partners Utrecht",
        contract_number="B1170001", payroll_tax_number="111222333L01", step="setup",
    )
    garden, _ = make_registration(
        employer_name="Hovenier Groen", processor_name="HR & Loon Groep",
        contract_number="A0209999999", payroll_tax_number="987654321L01", step="policy",
    )
    return bakery, dentist, garden


def _ids(client, query: str) -> set[int]:
    return set(card_ids(client.get("/board" + query).get_data(as_text=True)))


@pytest.mark.parametrize(
    "query, expected",
    [
        ("bakkerij", "bakery"),
        ("BAKKERIJ van", "bakery"),
        ("partners utrecht", "dentist"),
        ("loon groep", "garden"),
        ("b117", "dentist"),
        ("a020 999", "garden"),
        ("1234.56.782 l01", "bakery"),
        ("987 654 321", "garden"),
        ("111222333L01", "dentist"),
    ],
)
def test_free_text_finds_by_employer_processor_contract_and_payroll_tax_number(client, login_as, three, query, expected):
    login_as("asr")
    bakery, dentist, garden = three
    wanted = {"bakery": bakery, "dentist": dentist, "garden": garden}[expected]
    assert _ids(client, "?q=" + query) == {wanted.id}


def test_free_text_finds_by_reference(client, login_as, three):
    login_as("asr")
    bakery = three[0]
    assert _ids(client, "?q=" + bakery.reference.lower()) == {bakery.id}


def test_free_text_treats_like_wildcards_as_plain_text(client, login_as, three):
    login_as("asr")
    assert _ids(client, "?q=%25") == set()
    assert _ids(client, "?q=_") == set()


def test_free_text_that_matches_nothing_says_so(client, login_as, three):
    login_as("asr")
    html = client.get("/board?q=bestaatniet").get_data(as_text=True)
    assert card_ids(html) == []
    assert "0 aanmeldingen die aan de filters voldoen" in html
    assert "Geen aanmeldingen die aan de filters voldoen." in html


def test_mine_shows_only_what_is_assigned_to_me(client, login_as, three):
    me = login_as("asr")
    colleague = User(email="collega@example.nl", name="Collega", role="asr", password_hash="!")
    db.session.add(colleague)
    db.session.commit()
    bakery, dentist, garden = three
    bakery.assignee_id = me.id
    garden.assignee_id = colleague.id
    db.session.commit()
    assert _ids(client, "?mine=1") == {bakery.id}


def test_waiting_shows_only_what_waits_on_the_processor(client, login_as, three):
    login_as("asr")
    dentist = three[1]
    dentist.waiting_reason = "Rechten ontbreken"
    dentist.waiting_since = utcnow()
    db.session.commit()
    assert _ids(client, "?waiting=1") == {dentist.id}


def test_team_shows_only_the_columns_that_team_acts_on(client, login_as, three):
    login_as("asr")
    bakery, dentist, garden = three
    html = client.get("/board?team=keylane").get_data(as_text=True)
    assert set(card_ids(html)) == {dentist.id}
    assert 'id="column-setup"' in html and 'id="column-realised"' in html
    assert 'id="column-received"' not in html and 'id="column-live"' not in html
    assert _ids(client, "?team=asr") == {bakery.id, garden.id}
    assert _ids(client, "?team=nonsense") == {bakery.id, dentist.id, garden.id}


def test_withdrawn_too_adds_withdrawn_cards_to_their_column(client, login_as, three):
    login_as("asr")
    garden = three[2]
    garden.withdrawn_at = utcnow()
    db.session.commit()
    assert garden.id not in _ids(client, "")
    assert garden.id in _ids(client, "?withdrawn=1")


def test_filters_combine(client, login_as, three):
    me = login_as("asr")
    bakery, dentist, garden = three
    bakery.assignee_id = me.id
    garden.assignee_id = me.id
    db.session.commit()
    assert _ids(client, "?mine=1&team=asr&q=groen") == {garden.id}


def test_filter_form_is_a_get_form_with_an_active_search(client, login_as):
    login_as("asr")
    html = client.get("/board?q=bakkerij&mine=1&team=keylane").get_data(as_text=True)
    form = html[html.index('<form class="board-filters"'):html.index("</form>", html.index('<form class="board-filters"'))]
    assert 'method="get"' in form and 'action="/board"' in form
    assert 'name="q" value="bakkerij"' in form
    assert 'id="board-mine" name="mine" value="1" checked' in form
    assert '<option value="keylane" selected>' in form
    # Typing searches after a pause, swapping the columns and updating the address.
    assert 'hx-trigger="input changed delay:300ms"' in form
    assert 'hx-target="#board-columns"' in form and 'hx-push-url="true"' in form


def test_a_filtered_partial_keeps_the_filters_in_its_links_and_forms(client, login_as, make_registration):
    user = login_as("asr")
    registration, _ = make_registration(employer_name="Bakkerij Van Dam")
    registration.assignee_id = user.id
    db.session.commit()
    body = client.get("/board?q=bakkerij&mine=1", headers=HTMX_PARTIAL).get_data(as_text=True)
    assert body.lstrip().startswith('<div class="board" id="board-columns">')
    assert 'name="board" value="q=bakkerij&amp;mine=1"' in body
    assert "1 aanmelding die aan de filters voldoen" in body
