"""The app under gunicorn on loopback, and a load generator in plain Python.

gunicorn runs as in production (`gunicorn -c gunicorn.conf.py wsgi:app` with
CASEAPP_ENV=production: CSRF on, secure session cookie, request logging),
except: SQLite is allowed (ALLOW_SQLITE=1) when that is the database measured,
rate limits are off (one client address sends everything), and workers are
not recycled after GUNICORN_MAX_REQUESTS (a restart in a 20-second window
would be measured as a latency spike). Its output goes to a log file.

Each client is a thread with one keep-alive connection (http.client), its own
staff login and its own CSRF token, sending a fixed mix of board, detail,
status and intake requests back to back for a fixed time. Requests have a
timeout, and nothing runs past the deadline plus that timeout.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from .inprocess import intake_form
from .seed import STAFF_PASSWORD
from .stats import load_average, summary

ROOT = Path(__file__).resolve().parent.parent
REQUEST_TIMEOUT = 15.0
START_TIMEOUT = 60.0
# What staff and processors do, by share of requests.
MIX = {"board": 35, "detail": 35, "status": 20, "intake": 10}
EXPECTED_STATUS = {"board": 200, "detail": 200, "status": 200, "intake": 303}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py wsgi:app` on a free loopback port."""

    def __init__(self, database_url: str, log_path: Path, workers: int, threads: int):
        self.port = _free_port()
        self.log_path = log_path
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("GUNICORN_", "RATELIMIT_", "MAIL_")) and key not in ("DATABASE_URL", "SECRET_KEY")}
        env.update({
            "CASEAPP_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": database_url,
            "RATELIMIT_ENABLED": "0",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_THREADS": str(threads),
            "GUNICORN_MAX_REQUESTS": "0",
            "PYTHONUNBUFFERED": "1",
        })
        if database_url.startswith("sqlite"):
            env["ALLOW_SQLITE"] = "1"
        self.env = env
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    connection.close()
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gunicorn did not answer /healthz within {START_TIMEOUT:.0f}s; see {self.log_path}")

    def __exit__(self, *exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class HttpClient:
    """One keep-alive connection with a cookie jar; reconnects when the server closes."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        headers = {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        except (http.client.HTTPException, OSError):
            self.close()
            raise
        for set_cookie in response.headers.get_all("Set-Cookie") or []:
            pair = set_cookie.split(";", 1)[0]
            name, _, value = pair.strip().partition("=")
            self.cookies[name] = value
        if response.will_close:
            self.close()
        return response.status, text

    def csrf_token(self, path: str) -> str:
        status, text = self.request("GET", path)
        match = _CSRF.search(text)
        if status != 200 or match is None:
            raise RuntimeError(f"no CSRF token on {path} ({status})")
        return match.group(1) or match.group(2)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@dataclass
class Client:
    """One simulated person at a browser: a staff login that also submits intakes."""

    http: HttpClient
    rng: random.Random
    intake_token: str = ""
    samples: list[tuple[str, float, bool]] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def log_in(self, email: str) -> None:
        token = self.http.csrf_token("/login")
        status, _ = self.http.request("POST", "/login", {"email": email, "password": STAFF_PASSWORD, "csrf_token": token})
        if status not in (302, 303):
            raise RuntimeError(f"login of {email} failed: {status}")
        # The login starts a fresh session (and CSRF token): fetch the form's token after it.
        self.intake_token = self.http.csrf_token("/aanmelden")


def _prepare(client: Client, kind: str, ids: list[int], tokens: list[str]) -> tuple[str, str, dict | None]:
    """The request to send (method, path, form), made before its clock starts."""
    if kind == "board":
        return "GET", "/board", None
    if kind == "detail":
        return "GET", f"/registrations/{client.rng.choice(ids)}", None
    if kind == "status":
        return "GET", f"/status/{client.rng.choice(tokens)}", None
    return "POST", "/aanmelden", {**intake_form(client.rng), "csrf_token": client.intake_token}


def _drive(client: Client, ids, tokens, until: float, record_from: float) -> None:
    errors = client.errors
    kinds, weights = list(MIX), list(MIX.values())
    while True:
        kind = client.rng.choices(kinds, weights)[0]
        method, path, form = _prepare(client, kind, ids, tokens)
        started = time.monotonic()
        if started >= until:
            return
        try:
            status = client.http.request(method, path, form)[0]
            ok = status == EXPECTED_STATUS[kind]
            if not ok:
                errors[f"{kind} {status}"] = errors.get(f"{kind} {status}", 0) + 1
        except (http.client.HTTPException, OSError) as error:
            ok = False
            errors[f"{kind} {type(error).__name__}"] = errors.get(f"{kind} {type(error).__name__}", 0) + 1
        finished = time.monotonic()
        if started >= record_from:
            client.samples.append((kind, finished - started, ok))


def run_load(database_url: str, staff_emails: list[str], ids: list[int], tokens: list[str], *, log_path: Path,
             clients: int, workers: int, threads: int, duration: float, warmup: float, rng_seed: int) -> dict:
    """Requests per second and latency percentiles per kind of request and overall."""
    with Gunicorn(database_url, log_path, workers=workers, threads=threads) as server:
        people = [Client(HttpClient(server.port), random.Random(rng_seed * 1000 + n)) for n in range(clients)]
        for n, person in enumerate(people):
            person.log_in(staff_emails[n % len(staff_emails)])
        load_before = load_average()
        start = time.monotonic()
        record_from, until = start + warmup, start + warmup + duration
        threads_ = [threading.Thread(target=_drive, args=(person, ids, tokens, until, record_from), daemon=True)
                    for person in people]
        for thread in threads_:
            thread.start()
        for thread in threads_:
            thread.join(warmup + duration + REQUEST_TIMEOUT + 5)
        load_after = load_average()
        for person in people:
            person.http.close()
    samples = [sample for person in people for sample in person.samples]
    errors: dict[str, int] = {}
    for person in people:
        for key, count in person.errors.items():
            errors[key] = errors.get(key, 0) + count
    result = {"clients": clients, "workers": workers, "threads": threads, "duration_s": duration,
              "warmup_s": warmup, "mix": MIX, "errors": errors,
              "load_average_before": load_before, "load_average_after": load_after, "kinds": {}}
    for kind in [*MIX, "all"]:
        chosen = [s for s in samples if kind == "all" or s[0] == kind]
        result["kinds"][kind] = {
            **summary([latency for _, latency, _ in chosen]),
            "requests": len(chosen),
            "failed": sum(not ok for _, _, ok in chosen),
            "rps": round(len(chosen) / duration, 1),
        }
    return result
