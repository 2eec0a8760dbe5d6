"""/board: columns, counts, cards, badges, order, and partial vs full responses."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from caseapp.dates import utcnow
from caseapp.extensions import db
from caseapp.process import STEP_LABELS, STEPS

from .conftest import HTMX_PARTIAL, card_ids, column_count, column_html


def test_board_without_login_redirects_to_the_login_page(client):
    response = client.get("/board")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_board_parts_without_login_get_401_with_hx_redirect(client):
    for path in ("/board", "/board/column/received", "/board/move/1?direction=next"):
        response = client.get(path, headers=HTMX_PARTIAL)
        assert response.status_code == 401, path
        assert response.headers["HX-Redirect"].startswith("/login")
    response = client.post("/board/move", data={"registration_id": "1"}, headers=HTMX_PARTIAL)
    assert response.status_code == 401


def test_board_shows_one_column_per_step_with_its_label_and_count(client, login_as, make_registration):
    login_as("asr")
    for step, n in (("received", 2), ("policy", 1), ("live", 3)):
        for _ in range(n):
            make_registration(step=step)
    html = client.get("/board").get_data(as_text=True)
    for step in STEPS:
        assert str(STEP_LABELS[step]) in column_html(html, step)
    assert [column_count(html, step) for step in STEPS] == [2, 1, 0, 0, 3]
    assert "6 aanmeldingen" in html
    assert "Geen aanmeldingen in deze stap." in column_html(html, "setup")


def test_card_shows_reference_employer_processor_contract_days_and_assignee(client, login_as, make_registration):
    user = login_as("asr", name="Anouk de Vries")
    registration, _ = make_registration(
        employer_name="Bakkerij Van Dam", processor_name="Salarisbureau Noord B.V.", contract_number="A0201234567"
    )
    registration.assignee_id = user.id
    registration.step_entered_at = utcnow() - timedelta(days=3)
    db.session.commit()
    card = column_html(client.get("/board").get_data(as_text=True), "received")
    assert f'href="/registrations/{registration.id}"' in card
    assert registration.reference in card
    for text in ("Bakkerij Van Dam", "Salarisbureau Noord B.V.", "A0201234567", "3 dagen", "Anouk de Vries"):
        assert text in card


def test_unassigned_card_says_so(client, login_as, make_registration):
    login_as("asr")
    make_registration()
    assert "Niet toegewezen" in client.get("/board").get_data(as_text=True)


def test_badges_carry_text_for_duplicate_waiting_contract_prefix_and_dga(client, login_as, make_registration):
    login_as("asr")
    flagged, _ = make_registration(contract_prefix_warning=True, directors=[("J. de Boer", "12")])
    flagged.possible_duplicate = True
    flagged.waiting_reason = "Rechten ontbreken"
    flagged.waiting_since = utcnow()
    plain, _ = make_registration()
    plain.possible_duplicate = False
    db.session.commit()
    html = column_html(client.get("/board").get_data(as_text=True), "received")
    flagged_card = html[html.index(f'id="card-{flagged.id}"'):html.index(f'id="card-{plain.id}"')]
    plain_card = html[html.index(f'id="card-{plain.id}"'):]
    for badge in ("Mogelijk dubbel", "Wacht op salarisverwerker", "Geen A020-contract", "DGA"):
        assert badge in flagged_card
        assert badge not in plain_card
    assert "Rechten ontbreken" in flagged_card
    # Each badge is an icon *and* words, never colour alone.
    assert len(re.findall(r'<li class="badge [^"]*"><svg class="icon"[^>]*><use href="#icon-[a-z-]+"></use></svg>\w', flagged_card)) == 4


def test_columns_list_the_oldest_in_step_first(client, login_as, make_registration):
    login_as("asr")
    newest, _ = make_registration()
    oldest, _ = make_registration()
    middle, _ = make_registration()
    now = utcnow()
    newest.step_entered_at = now - timedelta(hours=1)
    oldest.step_entered_at = now - timedelta(days=9)
    middle.step_entered_at = now - timedelta(days=2)
    db.session.commit()
    html = column_html(client.get("/board").get_data(as_text=True), "received")
    assert card_ids(html) == [oldest.id, middle.id, newest.id]


def test_withdrawn_registrations_are_hidden_unless_asked_for(client, login_as, make_registration):
    login_as("asr")
    kept, _ = make_registration(step="policy")
    withdrawn, _ = make_registration(step="policy")
    withdrawn.withdrawn_at = utcnow()
    withdrawn.withdrawn_reason = "Overgestapt"
    db.session.commit()
    html = client.get("/board").get_data(as_text=True)
    assert card_ids(column_html(html, "policy")) == [kept.id]
    assert column_count(html, "policy") == 1

    html = client.get("/board?withdrawn=1").get_data(as_text=True)
    policy = column_html(html, "policy")
    assert card_ids(policy) == [kept.id, withdrawn.id]
    assert column_count(html, "policy") == 2
    withdrawn_card = policy[policy.index(f'id="card-{withdrawn.id}"'):]
    assert "Ingetrokken" in withdrawn_card
    assert "card__action" not in withdrawn_card  # nothing to move until it is reopened


def test_partial_request_gets_only_the_columns_block(client, login_as, make_registration):
    login_as("asr")
    make_registration()
    response = client.get("/board", headers=HTMX_PARTIAL)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div class="board" id="board-columns">')
    assert "<html" not in body and 'id="board-filters"' not in body
    assert "HX-Request" in response.headers["Vary"]


def test_full_htmx_request_and_plain_request_get_the_whole_page(client, login_as):
    login_as("asr")
    for headers in ({}, {"HX-Request": "true", "HX-Request-Type": "full"}):
        body = client.get("/board", headers=headers).get_data(as_text=True)
        assert "<html" in body and 'id="board-filters"' in body and 'id="board-columns"' in body


def test_board_page_loads_its_script_and_sortable_only_there(client, login_as, app):
    login_as("asr")
    board = client.get("/board").get_data(as_text=True)
    assert "js/board.js" in board
    manifest = Path(app.static_folder) / "vendor" / "manifest.json"
    if manifest.exists():
        assert "vendor/" + json.loads(manifest.read_text())["sortablejs"] in board
    login_page = client.get("/registrations/1").get_data(as_text=True)
    assert "js/board.js" not in login_page and "vendor/sortable-" not in login_page
