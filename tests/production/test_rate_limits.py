"""Abuse limits on the intake POST, the status page and the login (per IP and per
account), with the counters in memory and in a real Redis (`limit_storage`)."""

import sqlalchemy as sa

from caseapp.extensions import db
from caseapp.models import Registration
from tests.factories import valid_intake_form
from tests.production.probes import PASSWORD

PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}


def from_ip(address: str) -> dict:
    return {"X-Forwarded-For": address}


def test_the_intake_post_is_limited_per_client_with_a_dutch_429(make_limited_app):
    client = make_limited_app().test_client()
    statuses = [client.post("/aanmelden", data={}).status_code for _ in range(3)]
    assert statuses == [422, 422, 422]

    response = client.post("/aanmelden", data=valid_intake_form())
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Even rustig aan" in html and "Fout: 429" in html
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_an_htmx_request_over_the_limit_gets_the_partial(make_limited_app):
    client = make_limited_app(RATELIMIT_INTAKE="1 per minute").test_client()
    client.post("/aanmelden", data={})
    response = client.post("/aanmelden", data={}, headers=PARTIAL)
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Even rustig aan" in html
    assert "Retry-After" in response.headers


def test_showing_the_form_and_changing_dga_rows_are_not_counted(make_limited_app):
    client = make_limited_app(RATELIMIT_INTAKE="1 per minute").test_client()
    for _ in range(5):
        assert client.get("/aanmelden").status_code == 200
        assert client.post("/aanmelden", data={"action": "add_director"}).status_code == 200
    assert client.post("/aanmelden", data=valid_intake_form()).status_code == 303
    assert client.post("/aanmelden", data=valid_intake_form()).status_code == 429


def test_sending_from_the_check_page_is_limited_too(make_limited_app):
    client = make_limited_app(RATELIMIT_INTAKE="1 per minute").test_client()
    assert client.post("/aanmelden", data=valid_intake_form()).status_code == 303
    assert client.get("/aanmelden/controleren").status_code == 200  # showing it is not counted
    assert client.post("/aanmelden/controleren").status_code == 303
    response = client.post("/aanmelden/controleren")
    assert response.status_code == 429
    assert "Even rustig aan" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 1


def test_each_client_address_has_its_own_budget(make_limited_app):
    client = make_limited_app(RATELIMIT_INTAKE="1 per minute", PROXY_COUNT=1).test_client()
    assert client.post("/aanmelden", data={}, headers=from_ip("203.0.113.1")).status_code == 422
    assert client.post("/aanmelden", data={}, headers=from_ip("203.0.113.1")).status_code == 429
    assert client.post("/aanmelden", data={}, headers=from_ip("203.0.113.2")).status_code == 422


def test_ipv6_clients_are_counted_per_64_network(make_limited_app):
    client = make_limited_app(RATELIMIT_INTAKE="1 per minute", PROXY_COUNT=1).test_client()
    assert client.post("/aanmelden", data={}, headers=from_ip("2001:db8:1:2::1")).status_code == 422
    assert client.post("/aanmelden", data={}, headers=from_ip("2001:db8:1:2::ffff")).status_code == 429
    assert client.post("/aanmelden", data={}, headers=from_ip("2001:db8:1:3::1")).status_code == 422


def test_the_status_page_is_limited_also_for_unknown_tokens(make_limited_app, make_registration):
    _, token = make_registration()
    client = make_limited_app().test_client()
    assert client.get(f"/status/{token}").status_code == 200
    assert client.get("/status/geraden-token").status_code == 404
    response = client.get(f"/status/{token}")
    assert response.status_code == 429
    assert "Even rustig aan" in response.get_data(as_text=True)
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_answers_on_the_status_page_are_limited_like_the_page(make_limited_app, make_registration):
    _, token = make_registration()
    client = make_limited_app().test_client()
    statuses = [client.post(f"/status/{token}/answer", data={"answer": ""}).status_code for _ in range(3)]
    assert statuses[:2] == [409, 409] and statuses[2] == 429  # nothing was asked: nothing to answer
    assert client.post("/status/geraden-token/answer", data={}).status_code == 429


def test_the_limit_comes_from_the_configuration(make_limited_app):
    client = make_limited_app(RATELIMIT_INTAKE="5 per minute").test_client()
    statuses = [client.post("/aanmelden", data={}).status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]


def test_an_empty_limit_switches_it_off(make_limited_app):
    client = make_limited_app(RATELIMIT_INTAKE="").test_client()
    assert {client.post("/aanmelden", data={}).status_code for _ in range(10)} == {422}


def login(client, email, password="fout", ip="198.51.100.1"):
    return client.post("/_probe/login-form", data={"email": email, "password": password}, headers=from_ip(ip))


def test_login_is_limited_per_client_address(make_limited_app):
    client = make_limited_app(PROXY_COUNT=1).test_client()
    assert login(client, "a@example.nl").status_code == 200
    assert login(client, "b@example.nl").status_code == 200
    assert login(client, "c@example.nl").status_code == 429
    assert login(client, "c@example.nl", ip="198.51.100.2").status_code == 200
    assert client.get("/_probe/login-form", headers=from_ip("198.51.100.1")).status_code == 200


def test_wrong_passwords_for_someone_elses_account_do_not_lock_the_owner_out(make_limited_app):
    """The probe: ten wrong passwords for another's e-mail locked the real owner out (429)."""
    client = make_limited_app(PROXY_COUNT=1, RATELIMIT_LOGIN="3 per minute").test_client()
    guesser = "198.51.100.66"
    assert [login(client, "Anouk@Example.nl", ip=guesser).status_code for _ in range(3)] == [200] * 3
    assert login(client, "anouk@example.nl", ip=guesser).status_code == 429  # that client is stopped
    assert login(client, " anouk@example.nl ", PASSWORD, ip="198.51.100.7").status_code == 303  # the owner is not


def test_failed_logins_of_one_account_from_many_addresses_slow_the_guessers_not_the_owner(make_limited_app):
    client = make_limited_app(PROXY_COUNT=1, RATELIMIT_LOGIN="3 per minute", RATELIMIT_LOGIN_ACCOUNT="4 per hour",
                              RATELIMIT_LOGIN_SLOWDOWN_SECONDS=30).test_client()
    guessers = [f"198.51.100.{n}" for n in range(10, 14)]
    assert [login(client, "anouk@example.nl", ip=ip).status_code for ip in guessers] == [200] * 4
    # The account is under attack now: a client that guessed before waits ...
    slowed = login(client, "anouk@example.nl", PASSWORD, ip=guessers[0])
    assert slowed.status_code == 429 and slowed.headers["Retry-After"] == "30"
    assert "Even rustig aan" in slowed.get_data(as_text=True)
    # ... while a client that never failed on it may try, and the owner gets in.
    assert login(client, "anouk@example.nl", ip="198.51.100.50").status_code == 200
    assert login(client, "anouk@example.nl", PASSWORD, ip="198.51.100.51").status_code == 303
    # Other accounts are not affected.
    assert login(client, "kees@example.nl", ip=guessers[1]).status_code == 200


def test_successful_logins_do_not_use_up_the_account_budget(make_limited_app):
    client = make_limited_app(PROXY_COUNT=1, RATELIMIT_LOGIN="2 per minute").test_client()
    for n in range(4):
        response = login(client, "anouk@example.nl", PASSWORD, ip=f"198.51.100.{n + 1}")
        assert response.status_code == 303


def test_redis_holds_the_counters_under_the_configured_prefix(make_redis_limited_app, redis_limit_storage):
    import redis

    uri, options = redis_limit_storage
    make_redis_limited_app().test_client().post("/aanmelden", data={})
    keys = redis.Redis.from_url(uri).keys(f"{options['key_prefix']}*")
    assert len(keys) == 1 and b"intake.new" in keys[0]


def test_an_unreachable_redis_falls_back_to_counting_in_memory(make_redis_limited_app):
    from caseapp.extensions import limiter

    app = make_redis_limited_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1", RATELIMIT_INTAKE="1 per minute")
    client = app.test_client()
    try:
        assert client.post("/aanmelden", data={}).status_code == 422
        assert client.post("/aanmelden", data={}).status_code == 429
    finally:
        limiter._storage_dead = False  # the shared Limiter remembers; later tests have a live Redis
