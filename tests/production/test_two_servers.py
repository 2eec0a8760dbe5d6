"""Two gunicorn servers on one PostgreSQL database and one Redis, driven by concurrent
clients (issue 5): the public half (simultaneous submissions, limits, logs) and the
staff half (20 staff moving and editing the same registrations at the same moment)."""

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Callable

import pytest
import sqlalchemy as sa

from caseapp.dates import today_local, utcnow
from caseapp.extensions import db
from caseapp.models import (
    AuthorisationCheck,
    ContactLogEntry,
    Director,
    Event,
    OutboxMessage,
    PolicyRecord,
    Registration,
)
from caseapp.process import PREREQUISITE_KEYS
from caseapp.registrations.service import load_for_change
from tests.factories import valid_intake_form
from tests.production.conftest import CLUSTER_INTAKE_LIMIT, CLUSTER_LOGIN_LIMIT
from tests.production.servers import (
    Client,
    Response,
    csrf_token,
    flask_cli,
    run_together,
)

pytestmark = pytest.mark.cluster

SUBMISSIONS = 50


def test_both_servers_serve_the_same_database(two_servers):
    _, reference, token = two_servers.make_registration(employer_name="Werkgever Gedeeld")
    for server in range(2):
        page = two_servers.client(server).get(f"/status/{token}")
        assert page.status == 200 and reference in page.text


def test_fifty_simultaneous_submissions_are_each_stored_once(two_servers):
    clients = two_servers.clients(SUBMISSIONS)
    tokens = {}

    def fill_in_and_check(n):
        tokens[n] = csrf_token(clients[n].get("/aanmelden").text)
        form = valid_intake_form(employer_name=f"Gelijktijdig {n:02d}",
                                 loket_employer_id=f"00000000-0000-4000-8000-{n:012d}",
                                 **{"directors-0-name": f"DGA {n}", "directors-0-personnel_number": str(n)})
        checked = clients[n].post("/aanmelden", {**form, "csrf_token": tokens[n]})
        assert checked.status == 303 and checked.header("location").endswith("/aanmelden/controleren")

    def submit(n):
        return clients[n].post("/aanmelden/controleren", {"csrf_token": tokens[n]})

    responses = run_together(submit, list(range(SUBMISSIONS)), prepare=fill_in_and_check)

    assert [response.status for response in responses] == [303] * SUBMISSIONS
    assert all(response.header("location").endswith("/aanmelden/bevestiging") for response in responses)
    stored = two_servers.query(
        sa.select(Registration.reference, Registration.employer_name)
        .where(Registration.employer_name.like("Gelijktijdig %"))
    )
    assert sorted(name for _, name in stored) == [f"Gelijktijdig {n:02d}" for n in range(SUBMISSIONS)]
    numbers = sorted(int(reference.rsplit("-", 1)[1]) for reference, _ in stored)
    assert numbers == list(range(numbers[0], numbers[0] + SUBMISSIONS))  # unique, and no gaps
    assert all(reference.startswith(f"AW-{utcnow().year}-") for reference, _ in stored)
    submitted = two_servers.query(
        sa.select(sa.func.count()).select_from(Event).join(Registration)
        .where(Registration.employer_name.like("Gelijktijdig %"), Event.kind == "submitted")
    )
    assert submitted[0][0] == SUBMISSIONS


def test_one_check_page_sent_at_the_same_moment_to_both_servers_is_stored_once(two_servers):
    """A double click, or a resent form, whose requests reach two hosts at once."""
    client = two_servers.client(0, ip="203.0.113.60")
    token = csrf_token(client.get("/aanmelden").text)
    form = valid_intake_form(employer_name="Dubbelklik BV", loket_employer_id="00000000-0000-4000-8000-999999999999")
    assert client.post("/aanmelden", {**form, "csrf_token": token}).status == 303
    # Each send carries the session as it was on the check page (the answers still in it).
    copies = [replace(client, base_url=two_servers.urls[n % 2], cookies=dict(client.cookies)) for n in range(6)]

    responses = run_together(lambda c: c.post("/aanmelden/controleren", {"csrf_token": token}), copies)

    assert {(r.status, r.header("location").rsplit("/", 1)[-1]) for r in responses} == {(303, "bevestiging")}
    stored = two_servers.query(sa.select(Registration.id).where(Registration.employer_name == "Dubbelklik BV"))
    assert len(stored) == 1
    mails = two_servers.query(sa.select(sa.func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.registration_id == stored[0][0]))
    assert mails[0][0] == 2


def test_the_intake_limit_is_counted_across_both_servers(two_servers):
    client = two_servers.client(ip="203.0.113.77")
    answers = []
    for n in range(2 * CLUSTER_INTAKE_LIMIT):
        server = two_servers.servers[n % 2]
        answers.append((server.name, client.submit_form(f"{server.url}/aanmelden", {}).status))

    assert [status for _, status in answers] == [422] * CLUSTER_INTAKE_LIMIT + [429] * CLUSTER_INTAKE_LIMIT
    assert {name for name, status in answers if status == 422} == {"server-0", "server-1"}
    assert {name for name, status in answers if status == 429} == {"server-0", "server-1"}

    refused = client.submit_form(f"{two_servers.urls[1]}/aanmelden", valid_intake_form())
    assert refused.status == 429 and "Even rustig aan" in refused.text and int(refused.header("retry-after")) > 0
    other = two_servers.client(0, ip="203.0.113.78").submit_form("/aanmelden", {})
    assert other.status == 422


def test_the_counters_live_in_redis_under_the_clusters_prefix(two_servers):
    import redis

    two_servers.client(1, ip="203.0.113.90").submit_form("/aanmelden", {})
    keys = redis.Redis.from_url(two_servers.redis_url).keys(f"{two_servers.key_prefix}*")
    assert any(b"203.0.113.90" in key for key in keys)


def test_no_server_logged_a_status_token(two_servers):
    _, _, token = two_servers.make_registration(employer_name="Werkgever Logboek")
    for server in range(2):
        assert two_servers.client(server).get(f"/status/{token}").status == 200
    assert token not in two_servers.logs()


def test_no_server_logged_the_token_of_an_unknown_status_link(two_servers):
    guessed = "geraden-token-dat-niet-bestaat-0123456789"
    for server in range(2):
        assert two_servers.client(server, ip="203.0.113.91").get(f"/status/{guessed}").status == 404
    assert guessed not in two_servers.logs()


# ---------------------------------------------------------------------------
# 20 staff on the same registrations, at the same moment, across both servers
# ---------------------------------------------------------------------------

STAFF_PER_TEAM = 10
STAFF_PASSWORD = "cluster-staf-wachtwoord"
HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
SUCCESS = (200, 303)  # an HTMX answer, or the redirect after a plain form
SEEN_STALE = "Iemand anders heeft deze aanmelding intussen gewijzigd."  # checked against the form's version
LOST_RACE = "op hetzelfde moment gewijzigd"  # the version column at the UPDATE: read the same, written second
_VERSION = re.compile(r'name="version" value="(\d+)"')


@dataclass
class Staff:
    id: int
    email: str
    role: str
    client: Client


@pytest.fixture(scope="module")
def staff(two_servers) -> dict[str, list[Staff]]:
    """10 a.s.r. and 10 Keylane staff, logged in through /login, each with a client of
    its own and its own address (login limits per address stay out of the way),
    spread over both servers."""
    team = {}
    for role, prefix in (("asr", "198.18.1."), ("keylane", "198.18.2.")):
        emails = [f"{role}-{n:02d}@cluster.example.nl" for n in range(STAFF_PER_TEAM)]
        ids = two_servers.create_users(emails, role, STAFF_PASSWORD)
        clients = two_servers.clients(STAFF_PER_TEAM, ip_prefix=prefix)
        team[role] = [Staff(*person, role, client) for person, client in zip(zip(ids, emails), clients)]
    everyone = team["asr"] + team["keylane"]
    # A few at a time: each login hashes with argon2 (64 MiB, on purpose slow).
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda person: person.client.login(person.email, STAFF_PASSWORD), everyone))
    assert [answer.status for answer in answers] == [303] * len(everyone)
    return team


def arrange(cluster, step: str, change: Callable[[Registration], None] | None = None, **fields) -> int:
    """A registration in `step`, changed by `change` (in-process, on the shared database)."""
    registration_id, _reference, _token = cluster.make_registration(step=step, **fields)
    if change is not None:
        with cluster.app.app_context():
            registration = load_for_change(registration_id)
            change(registration)
            db.session.commit()
            db.session.remove()
    return registration_id


def ready_for_realised(registration: Registration) -> None:
    registration.checks.extend(AuthorisationCheck(key=key) for key in PREREQUISITE_KEYS)
    registration.first_exchange_date = today_local() + timedelta(days=14)


def with_policy(registration: Registration) -> None:
    registration.policies.append(PolicyRecord(policy_number="PP-ORIGINEEL", scheme="Pensioen",
                                              start_date=date(2026, 1, 1)))


@dataclass
class Attempt:
    """One staff member's action: `send(form)` posts it, `form` being what they saw."""

    person: Staff
    registration_id: int
    label: str
    send: Callable[[dict], Response]


def detail_post(person: Staff, registration_id: int, action: str, data: dict, label: str) -> Attempt:
    """A plain form on the detail page (303 when saved)."""
    url = f"/registrations/{registration_id}/{action}"
    return Attempt(person, registration_id, label, lambda form: person.client.post(url, {**form, **data}))


def board_move(person: Staff, registration_id: int) -> Attempt:
    """A card moved on with HTMX on the board (200 when moved)."""
    def send(form):
        return person.client.post("/board/move", {**form, "registration_id": str(registration_id),
                                                  "direction": "next", "board": ""}, headers=HTMX)

    return Attempt(person, registration_id, "board move", send)


@dataclass
class Outcome:
    attempts: list[Attempt]
    responses: list[Response]
    seen: dict[int, int]  # registration id -> the one version every attempt saw
    seconds: float

    def of(self, registration_id: int) -> list[tuple[Attempt, Response]]:
        return [(a, r) for a, r in zip(self.attempts, self.responses) if a.registration_id == registration_id]

    def winner(self, registration_id: int) -> Attempt:
        """Exactly one attempt on the registration saved; every other one was told 409, in Dutch."""
        pairs = self.of(registration_id)
        won = [attempt for attempt, response in pairs if response.status in SUCCESS]
        lost = [response for _attempt, response in pairs if response.status not in SUCCESS]
        assert len(won) == 1, [(a.label, r.status) for a, r in pairs]
        assert [response.status for response in lost] == [409] * len(lost)
        assert all(SEEN_STALE in response.text or LOST_RACE in response.text for response in lost)
        return won[0]

    def report(self) -> str:
        statuses = [response.status for response in self.responses]
        raced = sum(LOST_RACE in response.text for response in self.responses)
        return (f"{len(self.responses)} requests in {self.seconds:.2f}s: {statuses.count(200) + statuses.count(303)} "
                f"saved, {statuses.count(409)} answered 409 ({raced} of them lost at the UPDATE itself)")


def race(attempts: list[Attempt]) -> Outcome:
    """Everyone opens the registration's page (the version and the CSRF token they saw),
    then all send at the same moment."""
    forms: dict[int, dict] = {}

    def open_page(index: int) -> None:
        attempt = attempts[index]
        page = attempt.person.client.get(f"/registrations/{attempt.registration_id}")
        assert page.status == 200, page.status
        forms[index] = {"csrf_token": csrf_token(page.text), "version": _VERSION.search(page.text).group(1)}

    started = time.monotonic()
    responses = run_together(lambda index: attempts[index].send(forms[index]), list(range(len(attempts))),
                             prepare=open_page)
    seconds = time.monotonic() - started
    seen = {}
    for index, attempt in enumerate(attempts):
        version = int(forms[index]["version"])
        assert seen.setdefault(attempt.registration_id, version) == version, "all must act from the same version"
    return Outcome(attempts, responses, seen, seconds)


def registration_row(cluster, registration_id: int) -> Registration:
    with cluster.app.app_context():
        try:
            registration = db.session.get(Registration, registration_id)
            db.session.expunge(registration)
            return registration
        finally:
            db.session.remove()


def count_events(cluster, registration_id: int, kind: str) -> int:
    return cluster.query(sa.select(sa.func.count()).select_from(Event)
                         .where(Event.registration_id == registration_id, Event.kind == kind))[0][0]


def test_twenty_staff_moving_the_same_registrations_move_each_exactly_once(two_servers, staff):
    cluster = two_servers
    asr_team, keylane_team = staff["asr"], staff["keylane"]
    received = arrange(cluster, "received", lambda r: setattr(r, "assignee_id", asr_team[0].id))
    setup = arrange(cluster, "setup", ready_for_realised)
    # Half of each team on the board, half on the detail page; both servers, same version.
    attempts = [board_move(person, received) if n % 2 else detail_post(person, received, "advance", {}, "advance")
                for n, person in enumerate(asr_team)]
    attempts += [board_move(person, setup) if n % 2 else detail_post(person, setup, "advance", {}, "advance")
                 for n, person in enumerate(keylane_team)]

    outcome = race(attempts)
    print(f"\nmoves: {outcome.report()}")

    for registration_id, after in ((received, "policy"), (setup, "realised")):
        outcome.winner(registration_id)
        stored = registration_row(cluster, registration_id)
        assert stored.step == after
        assert stored.version == outcome.seen[registration_id] + 1
        assert count_events(cluster, registration_id, "step_changed") == 1
    realised_mail = cluster.query(sa.select(sa.func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.registration_id == setup, OutboxMessage.kind == "realised"))
    assert realised_mail[0][0] == 1  # the processor is told once
    assert "Traceback" not in cluster.logs()


def intake_edit(employer_name: str, director: tuple[str, str]) -> dict:
    """The intake data of `arrange`'s registrations with another employer name and a DGA."""
    return {"processor_name": "Salarisbureau Cluster", "processor_email": "cluster@example.nl",
            "employer_name": employer_name, "contract_number": "A0201234567",
            "payroll_tax_number": "123456782L01", "loket_employer_id": "b14acd0d-75d7-4fc8-8b22-4a3924585cab",
            "pay_frequency": "monthly", "thirteenth_month": "no",
            "directors-0-name": director[0], "directors-0-personnel_number": director[1]}


def policy_form(number: str) -> dict:
    return {"policy_number": number, "scheme": "a.s.r. Werknemerspensioen", "start_date": "2026-01-01", "note": ""}


def test_twenty_staff_editing_the_same_registrations_lose_no_update(two_servers, staff):
    cluster = two_servers
    asr_team, keylane_team = staff["asr"], staff["keylane"]
    intake = arrange(cluster, "policy")
    policies = arrange(cluster, "policy")
    exchange = arrange(cluster, "setup")
    checks = arrange(cluster, "setup")
    names = {person.id: f"Werkgever van {person.email.split('@')[0]}" for person in asr_team}
    numbers = {person.id: f"PP-{person.id:05d}" for person in asr_team}
    dates = {person.id: today_local() + timedelta(days=20 + n) for n, person in enumerate(keylane_team)}
    keys = {person.id: PREREQUISITE_KEYS[n] for n, person in enumerate(keylane_team)}
    attempts = [
        *(detail_post(p, intake, "intake", intake_edit(names[p.id], (f"DGA {p.id}", str(p.id))), "intake edit")
          for p in asr_team[:5]),
        *(detail_post(p, policies, "policies", policy_form(numbers[p.id]), "policy add") for p in asr_team[5:]),
        *(detail_post(p, exchange, "first-exchange-date", {"first_exchange_date": dates[p.id].isoformat()},
                      "first-exchange date") for p in keylane_team[:5]),
        *(detail_post(p, checks, f"checks/{keys[p.id]}", {"ticked": "1"}, "check tick") for p in keylane_team[5:]),
    ]

    outcome = race(attempts)
    print(f"\nedits: {outcome.report()}")

    # Each registration holds exactly the winner's change, recorded once; the version moved once.
    winner = outcome.winner(intake).person
    assert registration_row(cluster, intake).employer_name == names[winner.id]
    directors = cluster.query(sa.select(Director.name, Director.personnel_number)
                              .where(Director.registration_id == intake))
    assert [tuple(row) for row in directors] == [(f"DGA {winner.id}", str(winner.id))]
    assert count_events(cluster, intake, "intake_edited") == 1

    winner = outcome.winner(policies).person
    stored = cluster.query(sa.select(PolicyRecord.policy_number).where(PolicyRecord.registration_id == policies))
    assert [number for (number,) in stored] == [numbers[winner.id]]
    assert count_events(cluster, policies, "policy_added") == 1

    winner = outcome.winner(exchange).person
    assert registration_row(cluster, exchange).first_exchange_date == dates[winner.id]
    assert count_events(cluster, exchange, "first_exchange_date_set") == 1

    winner = outcome.winner(checks).person
    stored = cluster.query(sa.select(AuthorisationCheck.key).where(AuthorisationCheck.registration_id == checks))
    assert [key for (key,) in stored] == [keys[winner.id]]
    assert count_events(cluster, checks, "check_ticked") == 1

    for registration_id in (intake, policies, exchange, checks):
        assert registration_row(cluster, registration_id).version == outcome.seen[registration_id] + 1
    assert "Traceback" not in cluster.logs()


def test_twenty_staff_on_one_policy_and_its_contacts_one_change_wins(two_servers, staff):
    """Edit, delete and new contacts on one registration at once: one wins, nobody gets a 500
    (a policy deleted by one and edited by another is a 409 for the other)."""
    cluster = two_servers
    asr_team, keylane_team = staff["asr"], staff["keylane"]
    target = arrange(cluster, "policy", with_policy)
    [(policy_id,)] = cluster.query(sa.select(PolicyRecord.id).where(PolicyRecord.registration_id == target))
    contact = {"occurred_at": (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), "channel": "phone",
               "with_whom": "Jan Pietersen", "summary": "Rechten doorgelopen.", "follow_up_date": ""}
    attempts = [
        *(detail_post(p, target, f"policies/{policy_id}/edit", policy_form(f"PP-EDIT-{p.id}"), "policy edit")
          for p in asr_team[:5]),
        *(detail_post(p, target, f"policies/{policy_id}/delete", {}, "policy delete") for p in asr_team[5:]),
        *(detail_post(p, target, "contacts", contact, "contact") for p in keylane_team),
    ]

    outcome = race(attempts)
    print(f"\none registration: {outcome.report()}")

    winner = outcome.winner(target)
    policies = [number for (number,) in cluster.query(
        sa.select(PolicyRecord.policy_number).where(PolicyRecord.registration_id == target))]
    contacts = cluster.query(sa.select(sa.func.count()).select_from(ContactLogEntry)
                             .where(ContactLogEntry.registration_id == target))[0][0]
    expected = {
        "policy edit": ([f"PP-EDIT-{winner.person.id}"], 0, "policy_edited"),
        "policy delete": ([], 0, "policy_removed"),
        "contact": (["PP-ORIGINEEL"], 1, "contact_logged"),
    }[winner.label]
    assert (policies, contacts) == expected[:2]
    kinds = ("policy_edited", "policy_removed", "contact_logged")
    assert {kind: count_events(cluster, target, kind) for kind in kinds} == {
        kind: int(kind == expected[2]) for kind in kinds}
    assert registration_row(cluster, target).version == outcome.seen[target] + 1
    assert "Traceback" not in cluster.logs()


# ---------------------------------------------------------------------------
# Logins across both servers
# ---------------------------------------------------------------------------


def test_failed_logins_of_one_account_are_counted_across_both_servers(two_servers):
    email = "doelwit@cluster.example.nl"
    two_servers.create_user(email, password=STAFF_PASSWORD)
    answers = []
    for n in range(CLUSTER_LOGIN_LIMIT + 2):
        # A new address every time, alternating servers: only the account ties them together.
        client = two_servers.client(n % 2, ip=f"203.0.113.{120 + n}")
        answers.append((n % 2, client.login(email, "geen-goed-wachtwoord").status))

    # Each address failed once: none of them is stopped, the account is counted on both servers.
    assert [status for _, status in answers] == [422] * (CLUSTER_LOGIN_LIMIT + 2)
    assert {server for server, status in answers if status == 422} == {0, 1}
    # Past the account's limit a guesser that comes back is slowed down, on either server ...
    again = two_servers.client(1, ip="203.0.113.120").login(email, "geen-goed-wachtwoord")
    assert again.status == 429 and "Even rustig aan" in again.text and int(again.header("retry-after")) > 0
    # ... and the owner, on a computer of their own, gets in: the guessers cannot lock them out.
    owner = two_servers.client(1, ip="203.0.113.140").login(email, STAFF_PASSWORD)
    assert owner.status == 303
    assert two_servers.client(0, ip="203.0.113.141").login("ander@cluster.example.nl", "fout").status == 422


def test_login_attempts_from_one_address_are_counted_across_both_servers(two_servers):
    client = two_servers.client(ip="203.0.113.150")
    statuses = [
        client.submit_form(f"{two_servers.urls[n % 2]}/login",
                           {"email": f"iemand-{n}@cluster.example.nl", "password": "fout"}).status
        for n in range(CLUSTER_LOGIN_LIMIT + 1)
    ]
    assert statuses == [422] * CLUSTER_LOGIN_LIMIT + [429]


def test_deactivating_a_user_ends_their_session_on_every_server(two_servers):
    email = "vertrekt@cluster.example.nl"
    two_servers.create_user(email, password=STAFF_PASSWORD)
    browser = two_servers.client(0, ip="203.0.113.160")
    assert browser.login(email, STAFF_PASSWORD).status == 303
    assert [browser.get(f"{url}/board").status for url in two_servers.urls] == [200, 200]

    # The administrator's command, as in production (its own process, the servers' settings).
    result = flask_cli(two_servers.servers[0].env, "users", "deactivate", email)
    assert "existing sessions have ended" in result.stdout

    for url in two_servers.urls:
        answer = browser.get(f"{url}/board")
        assert answer.status == 302 and "/login" in answer.header("location")
