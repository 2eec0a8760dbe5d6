"""The detail page costs a fixed number of SQL queries, however long its
timeline, contact log, policy list or checklist."""

from datetime import date, timedelta

import pytest
from flask import g

from caseapp.changes import record_event
from caseapp.dates import utcnow
from caseapp.extensions import db
from caseapp.models import (
    Attachment,
    AuthorisationCheck,
    ContactLogEntry,
    PolicyRecord,
    ProcessorRequest,
    ProcessorRequestItem,
    User,
)
from caseapp.process import PREREQUISITE_KEYS
from tests.conftest import collect_statements
from tests.registrations.conftest import HX, fresh

# session user, registration (+assignee, +its requests to the processor with their items
# and attachments), directors, policies, checks, contacts, events, duplicates, colleagues
# to assign to
BUDGET = 9


count_queries = collect_statements


def like_a_new_request() -> None:
    """Tests share one app context (and session) with the requests they make;
    a real request starts with an empty session and loads its user itself."""
    db.session.remove()
    g.pop("_login_user", None)


def grow(registration_id: int, size: int, user_ids: list[int]) -> None:
    """Give the registration `size` events, contacts and policies, by several people."""
    users = [db.session.get(User, user_id) for user_id in user_ids]
    registration = fresh(registration_id)
    registration.assignee_id = users[0].id
    registration.first_exchange_date = date.today() + timedelta(days=5)
    for n in range(size):
        author = users[n % len(users)]
        db.session.add(PolicyRecord(registration_id=registration_id, policy_number=f"PP-{n}", scheme="Pensioen",
                                    start_date=date(2026, 1, 1), created_by_id=author.id))
        db.session.add(ContactLogEntry(registration_id=registration_id, occurred_at=utcnow(), channel="phone",
                                       with_whom="Jan", summary=f"Gesprek {n}", author_id=author.id))
        record_event(registration, "contact_logged", actor=author, channel="phone", with_whom="Jan")
    for key in PREREQUISITE_KEYS[: min(size, len(PREREQUISITE_KEYS))]:
        db.session.add(AuthorisationCheck(registration_id=registration_id, key=key, checked_by_id=users[1].id))
    # Answered requests to the processor, each with its items and an attachment (joined into the
    # registration's own query: they add no statement).
    for n in range(1 + size // 8):
        db.session.add(ProcessorRequest(
            registration_id=registration_id, message=f"Verzoek {n}", opened_at=utcnow(), closed_at=utcnow(),
            answer="done", answered_at=utcnow(), items=[ProcessorRequestItem(key=key) for key in PREREQUISITE_KEYS[:3]],
            attachment=Attachment(filename="scherm.png", content_type="image/png", size=8, sha256="0" * 64,
                                  data=b"\x89PNG\r\n\x1a\n"),
        ))
    db.session.commit()


@pytest.mark.parametrize("role", ["asr", "keylane", "admin"])
@pytest.mark.parametrize("partial", [False, True], ids=["page", "partial"])
def test_detail_page_query_count_does_not_grow(desk, staff, make_registration, role, partial):
    users = [user.id for user in staff.values()]
    small, _ = make_registration(step="setup", directors=[("Jan de Boer", "101")])
    large, _ = make_registration(step="setup", directors=[(f"DGA {n}", str(100 + n)) for n in range(15)])
    small_id, large_id = small.id, large.id
    grow(small_id, 1, users)    # 2 events (submitted + 1)
    grow(large_id, 39, users)   # 40 events
    desk.login(staff[role])
    headers = HX if partial else {}
    desk.client.get(f"/registrations/{small_id}", headers=headers)  # warm up (templates, mappers)

    counts = {}
    for registration_id in (small_id, large_id):
        like_a_new_request()
        with count_queries() as statements:
            response = desk.client.get(f"/registrations/{registration_id}", headers=headers)
        assert response.status_code == 200
        counts[registration_id] = len(statements)
    html = response.get_data(as_text=True)
    assert html.count('class="timeline__item') == 40 and "Gesprek 38" in html

    assert counts[small_id] == counts[large_id], counts
    assert counts[large_id] <= BUDGET, counts
    print(f"detail page ({role}, {'partial' if partial else 'page'}): {counts[large_id]} queries")


def test_a_save_with_htmx_also_costs_a_fixed_number_of_queries(desk, staff, make_registration):
    users = [user.id for user in staff.values()]
    keylane_id = staff["keylane"].id
    sizes = {}
    for size in (1, 39):
        registration, _ = make_registration(step="setup")
        registration_id = registration.id
        grow(registration_id, size, users)
        desk.login(db.session.get(User, keylane_id))
        version = fresh(registration_id).version
        like_a_new_request()
        with count_queries() as statements:
            response = desk.post(registration_id, "checks/standard_user", {"ticked": "0"}, version=version,
                                 htmx=True)
        assert response.status_code == 200
        sizes[size] = len(statements)
    assert sizes[1] == sizes[39], sizes
    print(f"tick a check with htmx: {sizes[39]} queries")
