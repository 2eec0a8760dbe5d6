"""Fixtures for the production footing: staff users, apps with production settings or
with rate limiting switched on (memory and Redis), and the services they need."""

from __future__ import annotations

import os
import secrets
import uuid

import pytest

from caseapp import create_app
from caseapp.config import ProductionConfig, TestConfig
from caseapp.extensions import db
from caseapp.models import User
from tests.conftest import create_throwaway_database, drop_database
from tests.production.probes import probes
from tests.production.servers import start_cluster

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


def services_required() -> bool:
    """CI sets REQUIRE_SERVICES=1: a missing service is then a failure, not a skip."""
    return os.environ.get("REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str):
    if services_required():
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def redis_reachable(url: str = REDIS_URL) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> str:
    if not redis_reachable():
        skip_or_fail(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


def delete_redis_keys(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture()
def make_staff_user(make_user):
    """make_user with an e-mail address first and a name taken from it."""

    def _make(email: str = "medewerker@example.nl", role: str = "asr", active: bool = True,
              password: str = "geheim-wachtwoord") -> User:
        return make_user(role, email=email, name=email.split("@")[0], password=password, active=active)

    return _make


@pytest.fixture()
def probe_app(app, database_url):
    """A second test app with the probe routes of tests/production/probes.py.

    Unlike `app`, no app context stays pushed for it, so each request gets its own
    `g` (Flask-Login caches the user there), as in a real server.
    """
    probe = create_app({"SQLALCHEMY_DATABASE_URI": database_url}, config_class=TestConfig)
    probe.register_blueprint(probes)
    yield probe
    dispose_engines([probe])


def dispose_engines(apps) -> None:
    """Close the pooled connections of apps a test made (or they leak into later tests)."""
    for made in apps:
        with made.app_context():
            db.engine.dispose()


PRODUCTION_SECRET = secrets.token_hex(32)


@pytest.fixture()
def make_production_app(database_url):
    """An app on ProductionConfig (the test database; SQLite explicitly allowed)."""
    made = []

    def _make(**overrides):
        settings = {
            "SECRET_KEY": PRODUCTION_SECRET,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "ALLOW_SQLITE": True,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
        settings.update(overrides)
        made.append(create_app(settings, config_class=ProductionConfig))
        return made[-1]

    yield _make
    dispose_engines(made)
    _switch_limiter_off(database_url)


def _redis_options(prefix: str) -> dict:
    return {"key_prefix": prefix, "socket_timeout": 2, "socket_connect_timeout": 2}


@pytest.fixture()
def redis_limit_storage(redis_url):
    """(storage URI, options) for counters in a real Redis, under a key prefix of this
    test only (its keys are removed afterwards)."""
    prefix = f"caseapp-test-{uuid.uuid4().hex[:12]}"
    yield redis_url, _redis_options(prefix)
    delete_redis_keys(redis_url, prefix)


@pytest.fixture(params=["memory", "redis"])
def limit_storage(request):
    """Rate-limit counters in memory, and in a real Redis."""
    if request.param == "memory":
        return "memory://", {"key_prefix": "caseapp-test"}
    return request.getfixturevalue("redis_limit_storage")


def _limited_app_factory(database_url: str, storage: tuple[str, dict], made: list):
    uri, options = storage

    def _make(**overrides):
        settings = {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": uri,
            "RATELIMIT_STORAGE_OPTIONS": options,
            "RATELIMIT_INTAKE": "3 per minute",
            "RATELIMIT_STATUS": "2 per minute",
            "RATELIMIT_LOGIN": "2 per minute",
        }
        settings.update(overrides)
        limited = create_app(settings, config_class=TestConfig)
        limited.register_blueprint(probes)
        made.append(limited)
        return limited

    return _make


def _switch_limiter_off(database_url: str) -> None:
    """Flask-Limiter's Limiter is one object, set up by the app made last: leave it
    switched off again for the tests that follow."""
    create_app({"SQLALCHEMY_DATABASE_URI": database_url}, config_class=TestConfig)


@pytest.fixture()
def make_limited_app(app, database_url, limit_storage):
    """make_limited_app(**config): a test app with rate limiting on, for each storage.

    Use only the limited app's client in such a test (see _switch_limiter_off);
    the tables are emptied by the `app` fixture.
    """
    made = []
    yield _limited_app_factory(database_url, limit_storage, made)
    dispose_engines(made)
    _switch_limiter_off(database_url)


@pytest.fixture()
def make_redis_limited_app(app, database_url, redis_limit_storage):
    made = []
    yield _limited_app_factory(database_url, redis_limit_storage, made)
    dispose_engines(made)
    _switch_limiter_off(database_url)


# --- several gunicorn servers on one database and one Redis (tests/production/servers.py)

CLUSTER_INTAKE_LIMIT = 10  # per client address per hour, on the servers of `two_servers`
CLUSTER_LOGIN_LIMIT = 5  # login POSTs per address, failed logins per account, per minute


@pytest.fixture(scope="module")
def cluster_database():
    """A throw-away PostgreSQL database, empty: the cluster migrates it itself."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        pytest.skip("several servers on one database need PostgreSQL: set TEST_DATABASE_URL")
    url = create_throwaway_database(base)
    yield url
    drop_database(url)


@pytest.fixture(scope="module")
def two_servers(cluster_database, redis_url, tmp_path_factory):
    """Two gunicorn servers (2 workers x 4 threads each, production config, one proxy
    in front: X-Forwarded-For names the client) on one database and one Redis.

    Shared by the tests of a module: tell your data apart (e.g. by employer name).
    On failure the servers' logs are in the pytest temp folder.
    """
    cluster = start_cluster(cluster_database, redis_url, tmp_path_factory.mktemp("cluster"),
                            RATELIMIT_INTAKE=f"{CLUSTER_INTAKE_LIMIT} per hour",
                            RATELIMIT_LOGIN=f"{CLUSTER_LOGIN_LIMIT} per minute",
                            RATELIMIT_LOGIN_ACCOUNT=f"{CLUSTER_LOGIN_LIMIT} per hour")
    yield cluster
    cluster.close()
    delete_redis_keys(redis_url, cluster.key_prefix)
