"""Slow clients against a real gunicorn, set up as gunicorn.conf.py sets it up for
production: a client that sends its request a byte at a time holds a thread, not
the worker, so twenty of them do not stop anyone else from being answered."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests.production.servers import Client, GunicornServer, production_env, start_servers

SLOW_CLIENTS = 20


@pytest.fixture()
def server(database_url, tmp_path):
    # The production defaults of gunicorn.conf.py (threads), on a single worker: the
    # hardest case, every slow client lands on the same process.
    env = production_env(database_url, ALLOW_SQLITE="1", GUNICORN_WORKERS="1")
    env.pop("GUNICORN_THREADS", None)
    [started] = start_servers([GunicornServer(env, tmp_path / "gunicorn.log")])
    yield started
    started.stop()


def drip(port: int, stop: threading.Event, opened: threading.Barrier) -> None:
    """A POST whose headers and body come one byte per second, until told to stop."""
    request = b"POST /aanmelden HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(request[:20])
        opened.wait()
        for byte in request[20:]:
            if stop.wait(1):
                return
            connection.sendall(bytes([byte]))


def test_twenty_slow_clients_do_not_stop_a_normal_request(server):
    stop = threading.Event()
    opened = threading.Barrier(SLOW_CLIENTS + 1)
    slow = [threading.Thread(target=drip, args=(server.port, stop, opened), daemon=True) for _ in range(SLOW_CLIENTS)]
    for thread in slow:
        thread.start()
    try:
        opened.wait(timeout=10)
        time.sleep(2)  # every slow client has been read from by now
        answered = []
        for _ in range(3):
            started = time.monotonic()
            response = Client(server.url, timeout=5).get("/aanmelden")
            answered.append((response.status, time.monotonic() - started))
    finally:
        stop.set()
        for thread in slow:
            thread.join(timeout=5)
    assert [status for status, _ in answered] == [200, 200, 200]
    assert max(seconds for _, seconds in answered) < 1.0, answered
