"""Hostile input, generated: no form field, query parameter or URL id gets a 500,
and what is refused stores nothing.

Every value is either random text (any printable or control character but lone
surrogates, which no browser can send) or one of the inputs a probe found to
break things: NUL bytes, superscript and other non-ASCII digits, ids past
PostgreSQL's integer, year-1 and year-9999 dates, very long values, markup.
The signed-in user is an administrator, who may try every action."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caseapp.dates import today_local
from caseapp.extensions import db
from caseapp.models import ContactLogEntry, Event, OutboxMessage, PolicyRecord, Registration
from caseapp.process import PREREQUISITE_KEYS

NASTY = [
    "", " ", "\x00", "a\x00b", "\x1b[31m", "\r\n", "²", "¹²³", "٣٤", "１２", "-1", "0", "2147483647",
    "2147483648", "99999999999999999999", "1e9", "0001-01-01", "9999-12-31", "31-12-9999", "0000-00-00",
    "2026-02-30", "x" * 3000, "<script>alert(1)</script>", "' OR 1=1 --", "%00", "../../etc/passwd",
    "A020", "123456782L01", "b14acd0d-75d7-4fc8-8b22-4a3924585cab",
]
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
VALUE = st.one_of(st.sampled_from(NASTY), TEXT)
ALLOWED = {200, 303, 400, 403, 404, 409, 413, 422}
EXAMPLES = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

INTAKE_FIELDS = [
    "processor_name", "processor_email", "employer_name", "contract_number", "payroll_tax_number",
    "loket_employer_id", "pay_frequency", "thirteenth_month", "confirm_four_weekly_thirteenth",
    "directors-0-name", "directors-0-personnel_number", "directors-99999999999-name",
    *(f"prereq_{key}" for key in PREREQUISITE_KEYS),
]
STORED = (Registration, Event, PolicyRecord, ContactLogEntry, OutboxMessage)


def counts() -> dict[str, int]:
    db.session.expire_all()
    return {model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in STORED}


def form_of(fields: list[str]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({}, optional={name: VALUE for name in fields})


@pytest.fixture()
def admin(login_as):
    return login_as("admin")


@pytest.fixture()
def registration(make_registration, admin):
    registration, _token = make_registration(step="setup")
    return registration


def check(response, before: dict[str, int] | None = None) -> None:
    assert response.status_code in ALLOWED, (response.status_code, response.request.path)
    if before is not None and response.status_code >= 400:
        assert counts() == before, "a refused request stored something"


@EXAMPLES
@given(form=form_of(INTAKE_FIELDS))
def test_the_intake_form(client, form):
    before = counts()
    check(client.post("/aanmelden", data=form), before)
    check(client.post("/aanmelden/controleren", data={"answers_id": form.get("processor_name", "")}))


@EXAMPLES
@given(field=st.sampled_from(["payroll_tax_number", "loket_employer_id", "contract_number", "x"]), value=VALUE)
def test_the_inline_checks(client, field, value):
    partial = {"HX-Request": "true", "HX-Request-Type": "partial"}
    check(client.post(f"/aanmelden/controle/{field}", data={field: value}, headers=partial))


@EXAMPLES
@given(form=form_of(["email", "password"]))
def test_the_login(app, form):
    check(app.test_client().post("/login", data=form))


@EXAMPLES
@given(args=form_of(["q", "mine", "waiting", "team", "withdrawn", "after"]), step=VALUE)
def test_the_board_and_its_columns(client, admin, args, step):
    check(client.get("/board", query_string=args))
    check(client.get(f"/board/column/{quote(step, safe='') or 'setup'}", query_string=args))
    check(client.get("/export.csv", query_string=args))
    check(client.get("/dashboard", query_string={"from": args.get("q", ""), "to": args.get("after", "")}))


@EXAMPLES
@given(form=form_of(["registration_id", "version", "direction", "board", "reason", "confirm_first_exchange"]))
def test_a_board_move(client, registration, form):
    before = counts()
    check(client.post("/board/move", data=form), before)


DETAIL_POSTS = {
    "intake": INTAKE_FIELDS,
    "intake/checked": ["checked"],
    "policies": ["policy_number", "scheme", "start_date", "note"],
    "contacts": ["occurred_at", "channel", "with_whom", "summary", "follow_up_date"],
    "first-exchange-date": ["first_exchange_date"],
    "waiting": ["reason", "request_items"],
    "waiting/clear": [],
    "withdraw": ["reason"],
    "reopen": [],
    "assign": ["action", "assignee_id"],
    "advance": ["confirm_first_exchange"],
    "back": ["reason"],
    f"checks/{PREREQUISITE_KEYS[0]}": ["ticked"],
}


@pytest.mark.parametrize("action", sorted(DETAIL_POSTS))
def test_every_action_of_the_detail_page(client, registration, action):
    @EXAMPLES
    @given(form=form_of(DETAIL_POSTS[action]), version=st.one_of(st.just(None), VALUE))
    def post(form, version):
        current = db.session.scalar(sa.select(Registration.version).where(Registration.id == registration.id))
        data = {**form, "version": str(current) if version is None else version}
        before = counts()
        check(client.post(f"/registrations/{registration.id}/{action}", data=data), before)

    post()


@EXAMPLES
@given(raw_id=st.one_of(st.sampled_from(["2147483648", "99999999999999999999", "0", "²", "-1"]),
                        st.integers(min_value=2**31, max_value=2**70).map(str)))
def test_ids_in_urls_are_found_or_not_found(client, admin, raw_id):
    for path in (f"/registrations/{raw_id}", f"/registrations/{raw_id}/policies/{raw_id}/edit",
                 f"/board/move/{raw_id}?direction=next", f"/admin/outbox/{raw_id}"):
        response = client.get(path)
        assert response.status_code in {400, 404}, (path, response.status_code)


@EXAMPLES
@given(day=st.dates(), field=st.sampled_from(["start_date", "follow_up_date", "first_exchange_date"]))
def test_any_date_at_all(client, registration, day, field):
    action = {"start_date": "policies", "follow_up_date": "contacts", "first_exchange_date": "first-exchange-date"}[field]
    current = db.session.scalar(sa.select(Registration.version).where(Registration.id == registration.id))
    data = {field: day.isoformat(), "version": str(current), "policy_number": "P-1", "scheme": "Pensioen",
            "occurred_at": (today_local() - timedelta(days=1)).isoformat() + "T10:00", "channel": "phone",
            "with_whom": "Jan", "summary": "Gebeld."}
    before = counts()
    check(client.post(f"/registrations/{registration.id}/{action}", data=data), before)


@EXAMPLES
@given(token=VALUE)
def test_the_status_page(client, token):
    response = client.get(f"/status/{quote(token, safe='') or 'x'}")
    assert response.status_code in {200, 308, 404}  # 308: "." and ".." are normalised away


@EXAMPLES
@given(form=form_of(["answer", "comment", "request_id"]), file=st.one_of(st.none(), st.binary(max_size=64)))
def test_the_processors_answer(client, make_registration, make_staff, form, file):
    import io

    from caseapp import workflow
    from caseapp.changes import transaction

    registration, token = make_registration()
    with transaction():
        workflow.set_waiting(registration, make_staff("asr"), "Graag regelen.", ["right_hrm"])
    data = dict(form)
    if file is not None:
        data["attachment"] = (io.BytesIO(file), form.get("comment", "bestand.png")[:50] or "x.png")
    before = counts()
    check(client.post(f"/status/{token}/answer", data=data, content_type="multipart/form-data"), before)
