"""Real gunicorn servers on loopback, and a small HTTP client to drive them.

Used by the production tests that need more than the test client: gunicorn's own
logging, and several servers sharing one PostgreSQL database and one Redis
(`Cluster`, `start_cluster`; the `two_servers` fixture in conftest.py).
Everything binds to 127.0.0.1 on free ports and is stopped at the end.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from threading import Barrier
from typing import Callable, Iterable, TypeVar

import sqlalchemy as sa

from caseapp import create_app
from caseapp.auth.passwords import hash_password
from caseapp.config import TestConfig
from caseapp.extensions import db
from caseapp.intake.service import IntakeData, create_registration
from caseapp.models import User

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60  # seconds for a server to answer /healthz (a loaded CI machine is slow)
REQUEST_TIMEOUT = 30
T = TypeVar("T")
R = TypeVar("R")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(database_url: str, **overrides: str) -> dict[str, str]:
    """The environment of a production start (README, "Running in production")."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GUNICORN_", "RATELIMIT_"))}
    env.update({
        "CASEAPP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database_url,
        "BASE_URL": "https://aanmelden.example.nl",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "4",
        "GUNICORN_ACCESS_LOG": "-",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("MAIL_SERVER", None)  # e-mail stays in the outbox
    env.update(overrides)
    return env


def flask_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """`flask --app wsgi ...` as in production (e.g. "db", "upgrade")."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


class GunicornServer:
    """`gunicorn -c gunicorn.conf.py wsgi:app` on a free loopback port; output in a file."""

    def __init__(self, env: dict[str, str], log_path: Path, name: str = "server"):
        self.name = name
        self.port = free_port()
        self.env = dict(env, GUNICORN_BIND=f"127.0.0.1:{self.port}")
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "GunicornServer":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        return self

    def wait_until_healthy(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log()}")
            try:
                if Client(self.url, timeout=2).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer /healthz within {timeout}s:\n{self.log()}")

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM (graceful), then SIGKILL to the whole process group if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_servers(servers: Iterable[GunicornServer]) -> list[GunicornServer]:
    """Start them all, then wait for all (they boot in parallel)."""
    started = [server.start() for server in servers]
    try:
        for server in started:
            server.wait_until_healthy()
    except Exception:
        for server in started:
            server.stop()
        raise
    return started


_CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    match = _CSRF_INPUT.search(html)
    if match is None:
        raise AssertionError("no csrf_token in the page")
    return match.group(1) or match.group(2)


@dataclass
class Client:
    """A browser-like HTTP client: keeps cookies (also Secure ones over loopback http),
    never follows redirects, and can pose as a client address behind the proxy
    (the servers run with PROXY_COUNT=1, so X-Forwarded-For names the client).

    `base_url` is the default server; a full URL in a call reaches another one with
    the same cookies, as a load balancer would.
    """

    base_url: str
    client_ip: str | None = None
    timeout: float = REQUEST_TIMEOUT
    cookies: dict[str, str] = field(default_factory=dict)

    def get(self, url: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", url, headers=headers)

    def post(self, url: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Response:
        body = urllib.parse.urlencode(data or {})
        all_headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return self.request("POST", url, body=body, headers=all_headers)

    def submit_form(self, url: str, data: dict[str, str], headers: dict[str, str] | None = None) -> Response:
        """GET the page at url for its CSRF token, then POST data to it."""
        token = csrf_token(self.get(url).text)
        return self.post(url, {**data, "csrf_token": token}, headers=headers)

    def login(self, email: str, password: str) -> Response:
        """The public contract's staff login: POST /login with email and password."""
        return self.submit_form("/login", {"email": email, "password": password})

    def request(self, method: str, url: str, body: str | None = None,
                headers: dict[str, str] | None = None) -> Response:
        target = urllib.parse.urlsplit(urllib.parse.urljoin(self.base_url, url))
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=self.timeout)
        try:
            connection.request(method, target.path + (f"?{target.query}" if target.query else ""),
                               body=body, headers=self._headers(headers))
            raw = connection.getresponse()
            text = raw.read().decode("utf-8", errors="replace")
            self._remember_cookies(raw.headers.get_all("Set-Cookie") or [])
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text)
        finally:
            connection.close()

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if self.client_ip:
            headers["X-Forwarded-For"] = self.client_ip
        headers.update(extra or {})
        return headers

    def _remember_cookies(self, set_cookies: list[str]) -> None:
        for set_cookie in set_cookies:
            pair, _, attributes = set_cookie.partition(";")
            name, _, value = pair.strip().partition("=")
            expired = "expires=thu, 01 jan 1970" in attributes.lower() or "max-age=0" in attributes.lower()
            if expired:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value


def run_together(action: Callable[[T], R], items: list[T], prepare: Callable[[T], object] | None = None,
                 timeout: float = 120) -> list[R]:
    """Run action(item) for every item in its own thread, released at the same moment.

    `prepare(item)` runs first in each thread (e.g. fetching a form), so only the
    actions themselves race. Results come back in the order of `items`.
    """
    barrier = Barrier(len(items), timeout=timeout)

    def run(item: T) -> R:
        if prepare is not None:
            prepare(item)
        barrier.wait()
        return action(item)

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        futures = [pool.submit(run, item) for item in items]
        return [future.result(timeout=timeout) for future in futures]


class Cluster:
    """Several gunicorn servers (production config) on one PostgreSQL database and one
    Redis, like several hosts behind a load balancer.

    `app` is an in-process app on the same database (TestConfig) to arrange data and
    to look at what the servers stored.
    """

    def __init__(self, servers: list[GunicornServer], database_url: str, redis_url: str, key_prefix: str):
        self.servers = servers
        self.database_url = database_url
        self.redis_url = redis_url
        self.key_prefix = key_prefix
        self.app = create_app({"SQLALCHEMY_DATABASE_URI": database_url}, config_class=TestConfig)

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def client(self, server: int = 0, ip: str | None = None) -> Client:
        """A client of one server, posing as client address `ip` (behind the proxy)."""
        return Client(self.servers[server % len(self.servers)].url, client_ip=ip)

    def clients(self, count: int, ip_prefix: str = "198.51.100.") -> list[Client]:
        """`count` clients spread round-robin over the servers, each with its own address
        (so per-IP limits do not get in the way of a load test)."""
        if count > 254:
            raise ValueError("at most 254 addresses per prefix")
        return [self.client(n, ip=f"{ip_prefix}{n + 1}") for n in range(count)]

    def query(self, statement: sa.Executable) -> list:
        """Rows of a SQLAlchemy statement, read fresh from the shared database."""
        with self.app.app_context():
            try:
                return list(db.session.execute(statement))
            finally:
                db.session.remove()

    def create_user(self, email: str, role: str = "asr", password: str = "cluster-wachtwoord") -> int:
        """A staff account the servers can log in; returns its id."""
        return self.create_users([email], role, password)[0]

    def create_users(self, emails: list[str], role: str = "asr", password: str = "cluster-wachtwoord") -> list[int]:
        """Staff accounts with one password (hashed once: argon2 is slow on purpose); their ids."""
        password_hash = hash_password(password)
        with self.app.app_context():
            users = [User(email=email, name=email.split("@")[0], role=role, password_hash=password_hash)
                     for email in emails]
            db.session.add_all(users)
            db.session.commit()
            ids = [user.id for user in users]
            db.session.remove()
        return ids

    def make_registration(self, step: str | None = None, **fields) -> tuple[int, str, str]:
        """A registration through the intake service; returns (id, reference, status token)."""
        data = dict(processor_name="Salarisbureau Cluster", processor_email="cluster@example.nl",
                    employer_name="Werkgever Cluster", contract_number="A0201234567",
                    payroll_tax_number="123456782L01", loket_employer_id="b14acd0d-75d7-4fc8-8b22-4a3924585cab",
                    pay_frequency="monthly", thirteenth_month=False, contract_prefix_warning=False, directors=[])
        data.update(fields)
        with self.app.app_context():
            registration, token = create_registration(IntakeData(**data))
            if step is not None:
                registration.step = step
                db.session.commit()
            result = (registration.id, registration.reference, token)
            db.session.remove()
        return result

    def logs(self) -> str:
        return "\n".join(f"== {server.name}\n{server.log()}" for server in self.servers)

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        with self.app.app_context():
            db.engine.dispose()


def start_cluster(database_url: str, redis_url: str, log_dir: Path, count: int = 2, **env: str) -> Cluster:
    """Migrate the database (`flask --app wsgi db upgrade`), then start `count` servers
    with the production start of the README, sharing rate-limit counters in Redis
    under a fresh key prefix. Stop them with Cluster.close()."""
    key_prefix = f"caseapp-cluster-{secrets.token_hex(6)}"
    shared = production_env(database_url, RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=key_prefix,
                            PROXY_COUNT="1", **env)
    flask_cli(shared, "db", "upgrade")
    servers = [GunicornServer(shared, log_dir / f"server-{n}.log", name=f"server-{n}") for n in range(count)]
    return Cluster(start_servers(servers), database_url, redis_url, key_prefix)
