"""The production start itself: gunicorn with gunicorn.conf.py, and what it logs."""

import socket

import pytest

from tests.production.servers import (
    Client,
    GunicornServer,
    production_env,
    start_servers,
)


def raw_request(server: GunicornServer, request: bytes) -> bytes:
    """Send bytes a normal client would never send; return the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture()
def server(database_url, tmp_path):
    env = production_env(database_url, ALLOW_SQLITE="1", GUNICORN_WORKERS="1", GUNICORN_THREADS="2",
                         PROXY_COUNT="1", GUNICORN_LOG_LEVEL="debug", LOG_LEVEL="DEBUG")
    [started] = start_servers([GunicornServer(env, tmp_path / "gunicorn.log")])
    yield started
    started.stop()


def test_no_line_gunicorn_or_the_app_logs_holds_a_status_token(server, make_registration):
    registration, token = make_registration()
    client = Client(server.url, client_ip="203.0.113.5")
    page = client.get(f"/status/{token}?van=mail", headers={
        "X-Request-ID": "trace-status-0001",
        "Referer": f"https://aanmelden.example.nl/status/{token}",
    })
    assert page.status == 200 and registration.reference in page.text
    assert client.get(f"/status/{token}x").status == 404
    # A malformed request line: gunicorn rejects it itself and quotes it in its error log.
    assert raw_request(server, f"GET /status/{token}\r\n\r\n".encode()).startswith(b"HTTP/1.1 400")
    server.stop()

    log = server.log()
    assert token not in log
    assert token[:12] not in log
    # The app's line and gunicorn's access line for the same request, masked and with the id.
    assert "request_id=trace-status-0001 method=GET path=/status/[token] status=200" in log
    assert "ip=203.0.113.5" in log
    assert '"GET /status/[token] HTTP/1.1" 200' in log and "rid=trace-status-0001" in log
    assert "Invalid request from ip=127.0.0.1: Invalid HTTP request line: 'GET /status/[token]'" in log
    assert "van=mail" not in log  # no query strings in either line


def test_gunicorn_refuses_to_start_production_with_the_default_secret(database_url, tmp_path):
    env = production_env(database_url, ALLOW_SQLITE="1", GUNICORN_WORKERS="1", SECRET_KEY="dev-only-not-secret")
    server = GunicornServer(env, tmp_path / "refused.log").start()
    try:
        assert server.process.wait(timeout=60) != 0
    finally:
        server.stop()
    assert "SECRET_KEY must be set" in server.log()


def test_the_gunicorn_logger_masks_tokens_in_its_own_lines(tmp_path):
    """GunicornLogger on its own (the app masks gunicorn's loggers too, once loaded)."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    from caseapp.gunicorn_logging import GunicornLogger

    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("errorlog", str(tmp_path / "error.log"))
    config.set("access_log_format", '"%(r)s" %(s)s %(U)s %(q)s %(f)s')
    logger = GunicornLogger(config)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/status/GeheimToken1?a=1", "PATH_INFO": "/status/GeheimToken1",
               "QUERY_STRING": "a=1", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_REFERER": "https://aanmelden.example.nl/status/GeheimToken1"}
    response = SimpleNamespace(status="200 OK", headers=[], sent=10)
    try:
        atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=5))
        assert not any("GeheimToken1" in str(value) for value in atoms.values())
        logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=5))
        logger.error("Error handling request %s", "/status/GeheimToken1")
    finally:
        for log in (logger.error_log, logger.access_log):
            for handler in list(log.handlers):
                if getattr(handler, "_gunicorn", False):
                    log.removeHandler(handler)
                    handler.close()
    written = (tmp_path / "access.log").read_text() + (tmp_path / "error.log").read_text()
    assert "GeheimToken1" not in written
    assert '"GET /status/[token]?a=1 HTTP/1.1" 200 /status/[token] a=1' in written
    assert "Error handling request /status/[token]" in written
