"""Two gunicorn servers on one PostgreSQL database and one Redis, driven by concurrent
clients (issue 5). The staff half (moving and editing the same registrations) builds
on the same `two_servers` fixture once the back office exists."""

import pytest
import sqlalchemy as sa

from caseapp.models import Event, Registration, utcnow
from tests.factories import valid_intake_form
from tests.production.conftest import CLUSTER_INTAKE_LIMIT
from tests.production.servers import csrf_token, run_together

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

    def fetch_form(n):
        tokens[n] = csrf_token(clients[n].get("/aanmelden").text)

    def submit(n):
        form = valid_intake_form(employer_name=f"Gelijktijdig {n:02d}",
                                 loket_employer_id=f"00000000-0000-4000-8000-{n:012d}",
                                 **{"directors-0-name": f"DGA {n}", "directors-0-personnel_number": str(n)})
        return clients[n].post("/aanmelden", {**form, "csrf_token": tokens[n]})

    responses = run_together(submit, list(range(SUBMISSIONS)), prepare=fetch_form)

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
