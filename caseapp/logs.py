"""Logging: one line per request with a request id, no status-link token in any line,
and one line per event: a line break or other control character in what a user
typed (a login e-mail, a name, a path) is written escaped, so no one can forge a line.

A status link (`/status/<token>`) is the processor's only key to a registration, so
it must never end up in a log file. Every line goes through `mask_tokens`: the app's
own lines, Werkzeug's development server, and gunicorn's error and access logs
(`GunicornLogger`, named in gunicorn.conf.py).
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

# /status/<token>, also inside a full URL, a quoted request line or a Referer.
_STATUS_TOKEN = re.compile(r"(/status/)[^/?#\s\"'<>]+", re.IGNORECASE)
MASK = "[token]"

# An incoming X-Request-ID is reused when it looks like an id, nothing more.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,63}$")
REQUEST_ID_HEADER = "X-Request-ID"

LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
# Loggers that write request paths or e-mail (with its status link) themselves: records
# are filtered where they are made, so every handler gets them masked.
_PATH_LOGGERS = ("caseapp", "caseapp.request", "caseapp.mail", "werkzeug", "gunicorn.error", "gunicorn.access")

request_logger = logging.getLogger("caseapp.request")


def mask_tokens(text: str) -> str:
    return _STATUS_TOKEN.sub(r"\1" + MASK, text)


# C0 controls, DEL and the C1 controls, and the Unicode line and paragraph separators.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_controls(text: str) -> str:
    """The message on one line: control characters as \\n, \\r, \\t or \\xNN / \\uNNNN."""
    return _CONTROLS.sub(lambda m: _NAMED.get(m.group(0)) or m.group(0).encode("unicode_escape").decode(), text)


class TokenMaskingFilter(logging.Filter):
    """Render the message on one line (escape_controls) and mask status tokens in
    it and in any traceback (a traceback keeps its own lines, after the message)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it for the handler to report
            return True
        record.msg = escape_controls(mask_tokens(message))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_tokens(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_tokens(record.stack_info)
        return True


class RequestIdFilter(logging.Filter):
    """Give every record a `request_id` attribute ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


_token_filter = TokenMaskingFilter()
_request_id_filter = RequestIdFilter()


def _add_filter(target: logging.Filterer, log_filter: logging.Filter) -> None:
    if log_filter not in target.filters:
        target.addFilter(log_filter)


def protect_handlers(logger: logging.Logger) -> None:
    """Mask tokens in everything the logger's handlers write, whoever logged it."""
    for handler in logger.handlers:
        _add_filter(handler, _token_filter)
        _add_filter(handler, _request_id_filter)


def protect_logger(logger: logging.Logger) -> None:
    """Mask tokens in what is logged to this logger and in what its handlers write."""
    _add_filter(logger, _token_filter)
    protect_handlers(logger)


def install_masking() -> None:
    """Filter the loggers that write paths, and every handler on the way out."""
    for name in _PATH_LOGGERS:
        protect_logger(logging.getLogger(name))
    _add_filter(default_handler, _token_filter)
    _add_filter(default_handler, _request_id_filter)
    protect_handlers(logging.getLogger())


def _configure_root(level: str) -> None:
    """Outside tests: one stderr handler on the root logger, unless one is configured."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    root.setLevel(level)


def _request_id_from_header() -> str:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    return incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _start_request() -> None:
    g.request_id = _request_id_from_header()
    g.request_started = time.perf_counter()


def _log_request(response):
    request_id = g.get("request_id") or _request_id_from_header()
    response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    duration_ms = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    request_logger.info(
        "request_id=%s method=%s path=%s status=%s duration_ms=%.1f ip=%s",
        request_id,
        request.method,
        mask_tokens(request.path),
        response.status_code,
        duration_ms,
        request.remote_addr or "-",
    )
    return response


def init_app(app: Flask) -> None:
    level = app.config.get("LOG_LEVEL", "INFO")
    if not app.testing:
        _configure_root(level)
        app.logger.removeHandler(default_handler)  # log through the root handler
    app.logger.setLevel(level)
    request_logger.setLevel(level)
    install_masking()
    # create_app calls this before any other extension: the request id is then set
    # before every other hook, and (after_request runs in reverse order) the line is
    # written last, with the final status.
    app.before_request(_start_request)
    app.after_request(_log_request)

