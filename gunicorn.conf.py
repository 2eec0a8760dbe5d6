"""gunicorn settings for caseapp: `gunicorn -c gunicorn.conf.py wsgi:app`.

Everything that differs per host comes from the environment (see README, "Running
in production"). Set CASEAPP_ENV=production so the app uses ProductionConfig.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


# Listen on loopback unless told otherwise; the reverse proxy connects here.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = _int("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8))
# Threads per worker (the gthread worker): a client that sends its request slowly
# holds one thread while it is read, not the whole worker, so a few dozen slow
# clients cannot stall the app (tests/production/test_slow_clients.py). The real
# defence is the reverse proxy, which reads each request whole before passing it
# on (README, "Running in production"). 1 would select the sync worker.
threads = _int("GUNICORN_THREADS", 32)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then; the jitter keeps them from restarting together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# Forwarded headers are trusted in one place only: the app's ProxyFix, for
# PROXY_COUNT proxies. gunicorn itself trusts none, so the two can never disagree
# about the client's address or scheme.
forwarded_allow_ips = ""
secure_scheme_headers = {}

# gunicorn 25+ opens a control socket in $HOME by default; two instances on one
# host would fight over it. Off unless a path is given.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or None
control_socket_disable = control_socket is None

# Logging. The app writes one line per request (request id, method, path, status,
# duration); gunicorn's access log repeats that, so it is off unless
# GUNICORN_ACCESS_LOG names a file or "-" (stdout). Both mask status-link tokens,
# and neither writes the query string.
logger_class = "caseapp.gunicorn_logging.GunicornLogger"
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
