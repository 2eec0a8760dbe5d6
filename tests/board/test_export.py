"""CSV export: exact bytes for a small case, the board's filters, CSV injection, streaming."""

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from caseapp.board import export
from caseapp.extensions import db
from caseapp.models import Event, Registration
from tests.factories import moved, submitted

NOW = datetime(2025, 3, 20, 9, 0)
HEADER = (
    "Referentie;Werkgever;Salarisverwerker;Stap;Ingediend;In stap sinds;Eerste uitwisseling;Gerealiseerd;Live;"
    "Dagen a.s.r.;Dagen Keylane;Dagen salarisverwerker;Aan zet;Mogelijk dubbel;Wacht op salarisverwerker;"
    "Contractnummer niet A020;Ingetrokken\r\n"
)


def d(month, day, hour=9, minute=0):
    return datetime(2025, month, day, hour, minute)


@pytest.fixture()
def two(make_history):
    first = make_history(
        [submitted(d(3, 3)), moved(d(3, 4), "received", "policy"), moved(d(3, 6), "policy", "setup"),
         (d(3, 7), "waiting_set", {}), (d(3, 9), "waiting_cleared", {}), moved(d(3, 11), "setup", "realised")],
        employer_name='=HYPERLINK("http://x";"klik")',
        processor_name='Loon; "Noord" B.V.',
        contract_prefix_warning=True,
    )
    first.first_exchange_date = date(2025, 4, 1)
    first.possible_duplicate = True
    # 23:30 UTC on 10 March is 00:30 on 11 March in Amsterdam
    second = make_history([submitted(d(3, 10, 23, 30)), (d(3, 12, 11), "withdrawn", {})],
                          employer_name="Bakkerij Van Dam", processor_name="@Payroll")
    db.session.commit()
    return first, second


def test_the_csv_bytes_for_a_small_case(app, two, login_as):
    first, second = two
    user = login_as("asr")
    body = b"".join(export.export_csv({"withdrawn": "1"}, user, NOW))
    expected = (
        "\ufeff" + HEADER
        + f"{first.reference};\"'=HYPERLINK(\"\"http://x\"\";\"\"klik\"\")\";\"Loon; \"\"Noord\"\" B.V.\";"
          "Gerealiseerd;03-03-2025;11-03-2025;01-04-2025;11-03-2025;;3,0;12,0;2,0;Keylane;ja;nee;ja;nee\r\n"
        + f"{second.reference};Bakkerij Van Dam;'@Payroll;Nieuw;11-03-2025;11-03-2025;;;;1,5;0,0;0,0;;nee;nee;nee;ja\r\n"
    ).encode("utf-8")
    assert body == expected
    assert body.startswith(b"\xef\xbb\xbf")


def test_the_route_sends_an_excel_friendly_attachment(client, two, login_as):
    login_as("keylane")
    response = client.get("/export.csv")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="aanmeldingen-')
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf" + HEADER.encode())
    assert body.count(b"\r\n") == 2  # the withdrawn one is left out by default
    assert b"Bakkerij Van Dam" not in body


def test_export_needs_a_login(client):
    response = client.get("/export.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+1", "'=1+1"), ("+31 20 123", "'+31 20 123"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"), ("Bakkerij = goed", "Bakkerij = goed"), ("", ""),
    ],
)
def test_formula_like_cells_are_neutralised(value, expected):
    assert export.neutralise(value) == expected


@pytest.fixture()
def board(make_history, make_staff):
    keylane = make_staff("keylane")
    start, other = d(3, 3), "987654321L01"
    regs = {
        "new": make_history([submitted(start)], employer_name="Bakkerij Van Dam",
                            payroll_tax_number="123456782L01"),
        "setup_mine": make_history([submitted(start), moved(start, "received", "policy"), moved(start, "policy", "setup")],
                                   employer_name="Drukkerij 100%", assignee=keylane, payroll_tax_number=other),
        "setup_waiting": make_history([submitted(start), moved(start, "received", "policy"),
                                       moved(start, "policy", "setup"), (start, "waiting_set", {})],
                                      employer_name="Apotheek Centrum", processor_name="HR & Loon Groep",
                                      payroll_tax_number=other),
        "withdrawn": make_history([submitted(start), (start, "withdrawn", {})], employer_name="Uitgeverij Papier",
                                  payroll_tax_number=other),
    }
    return keylane, regs


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, {"new", "setup_mine", "setup_waiting"}),
        ({"q": "bakkerij"}, {"new"}),
        ({"q": "123456782L01"}, {"new"}),
        ({"q": "loon groep"}, {"setup_waiting"}),
        ({"q": "100%"}, {"setup_mine"}),
        ({"q": "%"}, {"setup_mine"}),  # a literal percent sign, not a wildcard
        ({"mine": "1"}, {"setup_mine"}),
        ({"waiting": "1"}, {"setup_waiting"}),
        ({"team": "asr"}, {"new"}),
        ({"team": "keylane"}, {"setup_mine", "setup_waiting"}),
        ({"withdrawn": "1"}, {"new", "setup_mine", "setup_waiting", "withdrawn"}),
        ({"team": "keylane", "waiting": "on", "q": "apotheek"}, {"setup_waiting"}),
    ],
)
def test_apply_filters_narrows_like_the_board(app, board, params, expected):
    keylane, regs = board
    select = export.apply_filters(sa.select(Registration.id), params, keylane)
    found = set(db.session.scalars(select))
    assert found == {regs[name].id for name in expected}


def _bulk(n: int, start: datetime) -> None:
    """n registrations with a submitted and a step change event, inserted in bulk."""
    first_id = (db.session.scalar(sa.select(sa.func.max(Registration.id))) or 0) + 1
    rows, events = [], []
    for offset in range(n):
        rid = first_id + offset
        rows.append(dict(
            id=rid, reference=f"AW-2025-{rid:05d}", processor_name="Salarisbureau Noord B.V.",
            processor_email="loket@salarisnoord.nl", employer_name=f"Werkgever {rid}", contract_number="A0201234567",
            payroll_tax_number="123456782L01", loket_employer_id=f"00000000-0000-4000-8000-{rid:012d}",
            pay_frequency="monthly", thirteenth_month=False, step="policy", step_entered_at=start,
            status_token_hash=f"{rid:064d}", created_at=start, updated_at=start, prerequisites_confirmed_at=start,
        ))
        events.append(dict(registration_id=rid, kind="submitted", data={}, created_at=start))
        events.append(dict(registration_id=rid, kind="step_changed", data={"from": "received", "to": "policy"},
                           created_at=start + timedelta(days=1)))
    db.session.execute(sa.insert(Registration), rows)
    db.session.execute(sa.insert(Event), events)
    db.session.commit()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT setval(pg_get_serial_sequence('registration', 'id'), "
                                   "(SELECT MAX(id) FROM registration))"))
        db.session.commit()


def test_a_large_export_streams_with_a_fixed_number_of_queries(client, login_as, count_queries):
    login_as("asr")
    _bulk(40, d(3, 3))
    db.session.expire_all()
    with count_queries() as small:
        small_body = client.get("/export.csv").get_data()
    _bulk(1200, d(3, 3))
    db.session.expire_all()
    with count_queries() as large:
        response = client.get("/export.csv")
        chunks = list(response.response)
        body = b"".join(chunks)
    assert small_body.count(b"\r\n") == 41
    assert body.count(b"\r\n") == 1241
    assert len(chunks) > 2  # sent in pieces, not built in memory as one string
    # each row carries its own clock: a.s.r. had it 1 day in received and the rest in policy
    assert all(line.split(b";")[12] == "a.s.r.".encode() for line in body.split(b"\r\n")[1:-1])
    assert len(small) == len(large) == 3  # user, registrations, events
