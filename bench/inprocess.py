"""In-process timings with the Flask test client, and the bare-SQL floor.

Only the public contract of the app is used (URLs, form field names, status
codes), plus the session keys a login writes, so the pages can change inside
without the benchmark changing. Every page is requested `warmup` times first
(templates compiled, caches and the connection pool warm), once more while
counting its SQL statements, then `repeat` times timed.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import sqlalchemy as sa
from flask import Flask

from caseapp import create_app
from caseapp.config import Config
from caseapp.extensions import db
from caseapp.models import Registration, User
from caseapp.process import PREREQUISITE_KEYS
from caseapp.security import LOGIN_AT

from .seed import status_token, tax_number
from .stats import load_average, summary


class BenchConfig(Config):
    """The app as it runs, minus what would measure something else: no CSRF token to
    fetch first, no rate limit to hit, no log line per request on the terminal."""

    SECRET_KEY = "benchmark-only-" + "x" * 32
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_SERVER = None
    LOG_LEVEL = "WARNING"
    BASE_URL = "http://bench.invalid"


def make_app(database_url: str, **config) -> Flask:
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, **config}, config_class=BenchConfig)


@dataclass
class Sample:
    """What the pages are asked about: a few registrations and their status tokens."""

    ids: list[int]
    tokens: list[str]
    references: list[str]
    search_word: str


def pick_sample(app: Flask, rng_seed: int, size: int = 50) -> Sample:
    rng = random.Random(rng_seed + 1)
    with app.app_context():
        low, high = db.session.execute(sa.select(sa.func.min(Registration.id), sa.func.max(Registration.id))).one()
        ids = sorted(rng.sample(range(low, high + 1), min(size, high - low + 1)))
        references = list(db.session.scalars(sa.select(Registration.reference).where(Registration.id.in_(ids))))
        db.session.remove()
    return Sample(ids=ids, tokens=[status_token(i, rng_seed) for i in ids], references=references,
                  search_word="bakkerij")


def intake_form(rng: random.Random) -> dict[str, str]:
    """A valid intake, different every time (no two are possible duplicates)."""
    form = {
        "processor_name": "Salarisbureau Benchmark B.V.",
        "processor_email": "bench@salarisbureau.example",
        "employer_name": f"Werkgever {rng.randrange(10**6)} B.V.",
        "contract_number": f"A020{rng.randrange(10**6, 10**7)}",
        "payroll_tax_number": tax_number(rng),
        "loket_employer_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "pay_frequency": rng.choice(["monthly", "four_weekly"]),
        "thirteenth_month": "no",
        "website": "",
    }
    for index in range(rng.choice([0, 1, 2])):
        form[f"directors-{index}-name"] = f"DGA {index + 1}"
        form[f"directors-{index}-personnel_number"] = str(100 + index)
    form.update({f"prereq_{key}": "y" for key in PREREQUISITE_KEYS})
    return form


@contextmanager
def captured_statements(app: Flask) -> Iterator[list[tuple[str, object]]]:
    """Every (statement, parameters) the app's engine sends while inside."""
    statements: list[tuple[str, object]] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)


def logged_in_client(app: Flask, role: str = "asr"):
    """A test client with the session a real login of a seeded `role` user writes."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.role == role).order_by(User.id))
        session_id = user.get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
        session[LOGIN_AT] = int(time.time())
        session.permanent = True
    return client


def _request(app: Flask, call: Callable[[int], object], index: int):
    # Every request in an app context of its own (its own `g` and database session),
    # as under a server, even when the caller (a test) has one pushed already.
    with app.app_context():
        return call(index)


def _time_requests(app, call: Callable[[int], object], expect: int, warmup: int, repeat: int) -> dict:
    for index in range(warmup):
        _check(_request(app, call, index), expect)
    with captured_statements(app) as statements:
        _check(_request(app, call, warmup), expect)
    timings = []
    for index in range(repeat):
        started = time.perf_counter()
        response = _request(app, call, warmup + 1 + index)
        timings.append(time.perf_counter() - started)
        _check(response, expect)
    return {**summary(timings), "queries": len(statements)}


def _send_intake(client, form: dict[str, str]):
    checked = client.post("/aanmelden", data=form)
    _check(checked, 303)
    return client.post("/aanmelden/controleren")


def _check(response, expect: int) -> None:
    if response.status_code != expect:
        raise RuntimeError(f"{response.request.method} {response.request.path}: {response.status_code}, "
                           f"expected {expect}")


def measure_pages(app: Flask, sample: Sample, warmup: int, repeat: int, rng_seed: int) -> dict:
    """Median and p95 (ms) and the SQL statement count of each page."""
    client = logged_in_client(app)
    public = app.test_client()
    rng = random.Random(rng_seed + 2)
    forms = [intake_form(rng) for _ in range(warmup + repeat + 1)]  # made before the clock starts
    ids, tokens, references = sample.ids, sample.tokens, sample.references
    pages = {
        "board": (lambda i: client.get("/board"), 200),
        "board_search": (lambda i: client.get(f"/board?q={sample.search_word}"), 200),
        "board_search_reference": (lambda i: client.get(f"/board?q={references[i % len(references)]}"), 200),
        "detail": (lambda i: client.get(f"/registrations/{ids[i % len(ids)]}"), 200),
        "status": (lambda i: public.get(f"/status/{tokens[i % len(tokens)]}"), 200),
        # Submitting an intake: the form's POST (to the check page), then the check page's, which stores.
        "intake": (lambda i: _send_intake(public, forms[i]), 303),
    }
    results = {}
    for name, (call, expect) in pages.items():
        results[name] = _time_requests(app, call, expect, warmup, repeat)
        results[name]["load_average"] = load_average()
    # The board as its first view after a restart, or with every card changed: the
    # same app without its cache of rendered cards (caseapp.board.kit.CardCache).
    uncached = make_app(str(app.config["SQLALCHEMY_DATABASE_URI"]), BOARD_CARD_CACHE_SIZE=0)
    uncached_client = logged_in_client(uncached)
    results["board_uncached"] = _time_requests(
        uncached, lambda i: uncached_client.get("/board"), 200, warmup, repeat)
    results["board_uncached"]["load_average"] = load_average()
    with uncached.app_context():
        db.engine.dispose()
    return results


# ---------------------------------------------------------------------------
# The floor: the board's own SELECT of its cards, straight through the driver.
# ---------------------------------------------------------------------------

_CARD_SELECT = re.compile(r"^\s*SELECT\b.*\breference\b", re.I | re.S)


def board_statements(app: Flask, url: str = "/board") -> list[tuple[str, object]]:
    """The SQL statements one board request runs, as the driver received them."""
    client = logged_in_client(app)
    _request(app, lambda _: client.get(url), 0)  # warm
    with captured_statements(app) as statements:
        response = _request(app, lambda _: client.get(url), 1)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code}")
    return list(statements)


def card_statement(statements: list[tuple[str, object]]) -> tuple[str, object]:
    """The statement that fetches the cards: the one selecting the registrations' reference."""
    for statement, parameters in statements:
        if _CARD_SELECT.match(statement) and "registration" in statement:
            return statement, parameters
    raise RuntimeError("no card query among the board's statements")


def _run_raw(raw, statements: list[tuple[str, object]]) -> int:
    """Execute each statement on a raw DBAPI connection and fetch all its rows; the rows fetched."""
    fetched = 0
    for statement, parameters in statements:
        cursor = raw.cursor()
        cursor.execute(statement, parameters)
        fetched += len(cursor.fetchall())
        cursor.close()
    return fetched


def measure_sql(app: Flask, statements: list[tuple[str, object]], warmup: int, repeat: int) -> dict:
    """Run these statements with the engine's raw DBAPI connection and cursor (no ORM,
    no result processing), fetching every row; median and p95 (ms) of the whole set."""
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            for _ in range(warmup):
                _run_raw(raw, statements)
                raw.rollback()
            timings, rows = [], 0
            for _ in range(repeat):
                started = time.perf_counter()
                rows = _run_raw(raw, statements)
                timings.append(time.perf_counter() - started)
                raw.rollback()
        finally:
            raw.close()
            db.session.remove()
    return {**summary(timings), "queries": len(statements), "rows": rows, "load_average": load_average()}


def measure_interleaved(subjects: dict[str, tuple[Flask, tuple[str, object]]], warmup: int, repeat: int) -> dict:
    """The board and its SQL floor at every size, taken in turns: round after round,
    one board request and one floor run per size. The machine is shared and its
    load drifts; measured in turns, every size and both sides of a ratio see the
    same drift, which sequential runs minutes apart do not."""
    clients = {key: logged_in_client(app) for key, (app, _) in subjects.items()}
    raws = {}
    for key, (app, _) in subjects.items():
        with app.app_context():
            raws[key] = db.engine.raw_connection()
    board = {key: [] for key in subjects}
    floor = {key: [] for key in subjects}
    try:
        for round_ in range(warmup + repeat):
            for key, (app, (statement, parameters)) in subjects.items():
                started = time.perf_counter()
                response = _request(app, lambda _: clients[key].get("/board"), round_)
                elapsed = time.perf_counter() - started
                _check(response, 200)
                started = time.perf_counter()
                _run_raw(raws[key], [(statement, parameters)])
                floor_elapsed = time.perf_counter() - started
                raws[key].rollback()
                if round_ >= warmup:
                    board[key].append(elapsed)
                    floor[key].append(floor_elapsed)
    finally:
        for raw in raws.values():
            raw.close()
    return {key: {"board": summary(board[key]), "sql_floor": summary(floor[key])} for key in subjects}


# ---------------------------------------------------------------------------
# Query plans of the filtered board.
# ---------------------------------------------------------------------------


def explain_board_search(app: Flask, query: str) -> dict:
    """EXPLAIN (PostgreSQL: ANALYZE) of every statement of /board?q=... that reads
    registrations, with what the plans touch."""
    statements = [
        (statement, parameters)
        for statement, parameters in board_statements(app, f"/board?q={query}")
        if re.search(r"\bFROM registration\b", statement)
    ]
    plans = []
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
        prefix = "EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) " if postgresql else "EXPLAIN QUERY PLAN "
        raw = db.engine.raw_connection()
        try:
            for statement, parameters in statements:
                cursor = raw.cursor()
                cursor.execute(prefix + statement, parameters)
                rows = cursor.fetchall()
                cursor.close()
                lines = [row[0] for row in rows] if postgresql else [_sqlite_plan_line(row) for row in rows]
                plans.append({"statement": statement, "plan": lines})
            raw.rollback()
        finally:
            raw.close()
            db.session.remove()
    text = "\n".join(line for plan in plans for line in plan["plan"])
    return {
        "query": query,
        "plans": plans,
        "touches_event": bool(re.search(r"\bevent\b", text)),
        "full_scan_of_registration": bool(re.search(r"Seq Scan on registration\b|^\s*SCAN registration\b", text, re.M)),
        "indexes": sorted(set(re.findall(r"\b(ix_\w+)", text))),
    }


def _sqlite_plan_line(row) -> str:
    # (id, parent, notused, detail); indent by depth is not worth the bookkeeping here.
    return str(row[3])
