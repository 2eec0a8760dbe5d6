"""Security that every request shares: trusted proxies, response headers, staff
session lifetime, and abuse limits.

For the staff login (built in caseapp.auth) this module offers:

- `login_limits()`: a decorator with RATELIMIT_LOGIN per client IP and per (account, client),
  and a far higher per-account limit that slows the guessers down, not the owner;
- `start_session(user)`: log a user in with an idle and an absolute lifetime;
- `end_session(user=None, everywhere=True)`: log out, and make copies of the
  session cookie worthless;
- `revoke_sessions(user)`: end all sessions of a user (deactivation).
"""

from __future__ import annotations

import ipaddress
import time
from functools import wraps
from typing import Callable

from flask import Flask, Response, current_app, request, session
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_user, logout_user
from limits import parse_many
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from .extensions import db, limiter
from .models import User

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# The session key holding the login time (seconds since the epoch).
LOGIN_AT = "login_at"


def init_app(app: Flask) -> None:
    _trust_proxies(app)
    app.after_request(set_security_headers)
    app.before_request(enforce_session_lifetime)
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    if app.config["PRODUCTION"] and app.config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        app.logger.warning("rate-limit counters are kept per process: set RATELIMIT_STORAGE_URI to Redis")


# --- proxies --------------------------------------------------------------------------


def _trust_proxies(app: Flask) -> None:
    """Believe X-Forwarded-For/-Proto/-Host/-Port from exactly PROXY_COUNT proxies.

    This is the only place forwarded headers are trusted (gunicorn.conf.py tells
    gunicorn to trust none), so request.remote_addr is the client and
    request.scheme is what the client used.
    """
    hops = app.config["PROXY_COUNT"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


# --- response headers -----------------------------------------------------------------


def set_security_headers(response: Response) -> Response:
    """On every response; a view that set one of these itself keeps its own value
    (the status page its no-referrer, a page that needs it a different CSP)."""
    config = current_app.config
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if config.get("HSTS_SECONDS", 0) > 0:
        headers.setdefault("Strict-Transport-Security", f"max-age={config['HSTS_SECONDS']}")
    if request.endpoint != "static":
        # Every page is someone's: a staff page, a form with its CSRF token, a status
        # or confirmation page. None is kept by a browser or a shared cache.
        headers.setdefault("Cache-Control", "no-store")
    return response


# --- staff sessions -------------------------------------------------------------------
#
# Idle expiry: a staff session is permanent, so Flask re-signs the cookie on every
# response and refuses one signed longer than PERMANENT_SESSION_LIFETIME ago.
# Absolute expiry: the login time is kept in the session and checked here.
# Server-side end: the session carries "<user id>:<session_version>"; bumping the
# version makes every copy of the cookie log in as nobody (see auth.load_user).


def enforce_session_lifetime() -> None:
    if "_user_id" not in session:
        return
    login_at = session.get(LOGIN_AT)
    max_age = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    if not isinstance(login_at, (int, float)) or time.time() - login_at > max_age:
        _forget_session()


def start_session(user: User) -> bool:
    """Log `user` in with a fresh session; False (and nobody logged in) if inactive.

    Anything in the session from before the login is dropped, the CSRF token too.
    """
    session.clear()
    if not login_user(user, remember=False, fresh=True):
        return False
    session.permanent = True
    session[LOGIN_AT] = int(time.time())
    return True


def end_session(user: User | None = None, *, everywhere: bool = True) -> None:
    """Log out. With `everywhere`, also end the user's other sessions and cookie copies.

    `user` defaults to the current user. Ending another user's sessions (an admin
    doing it) leaves the admin's own session alone. Commits the session version.
    """
    own = current_user.is_authenticated and (user is None or current_user.id == user.id)
    target = user if user is not None else (current_user._get_current_object() if own else None)
    if everywhere and target is not None:
        revoke_sessions(target)
        db.session.commit()
    if own or user is None:
        _forget_session()


def revoke_sessions(user: User) -> None:
    """Make every existing session of `user` invalid (flushed, not committed)."""
    user.session_version = User.session_version + 1
    db.session.flush()


def _forget_session() -> None:
    logout_user()
    session.clear()


# --- abuse limits ---------------------------------------------------------------------


def client_key() -> str:
    """The client address as rate-limit key (after ProxyFix); IPv6 by /64 network,
    because one subscriber usually has a whole /64."""
    address = request.remote_addr or ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def account_key() -> str:
    """The posted e-mail address, lower-cased: the account a login attempt is for."""
    email = request.form.get("email", "").strip().lower()
    return f"account:{email}" if email else f"no-account:{client_key()}"


def configured_limit(config_key: str) -> Callable[[], str]:
    """The limit string from the app's config, read per request (so tests can set it)."""
    return lambda: current_app.config[config_key]


def limit_per_ip(config_key: str, **options):
    """Decorator: the limit named by `config_key` per client address, for this route."""
    return limiter.limit(configured_limit(config_key), key_func=client_key, **options)


def _failed_login(response: Response) -> bool:
    """A login that did not redirect (to the board) did not succeed."""
    return response.status_code not in (301, 302, 303)


def pair_key() -> str:
    """The account a login attempt is for, from this client: the unit a guesser is limited by."""
    return f"{account_key()}|{client_key()}"


def _account_limits() -> list:
    return parse_many(current_app.config["RATELIMIT_LOGIN_ACCOUNT"] or "")


def _account_is_under_attack() -> bool:
    """More failed logins for this account, from any clients, than RATELIMIT_LOGIN_ACCOUNT allows."""
    strategy = limiter.limiter
    return any(not strategy.test(item, "login-account-failed", account_key()) for item in _account_limits())


def _failed_here_before() -> bool:
    """Whether this client has failed to log in to this account within the account's window."""
    strategy = limiter.limiter
    return any(
        strategy.get_window_stats(item, "login-pair-failed", pair_key()).remaining < item.amount
        for item in _account_limits()
    )


def _count_failure() -> None:
    strategy = limiter.limiter
    for item in _account_limits():
        strategy.hit(item, "login-account-failed", account_key())
        strategy.hit(item, "login-pair-failed", pair_key())


def login_limits(config_key: str = "RATELIMIT_LOGIN"):
    """Decorator for the login view. A guesser cannot lock the owner out:

    - every POST counts per client address (`config_key`);
    - failed POSTs count per account *and client* (`config_key`): ten wrong
      passwords from one client stop that client only;
    - failed POSTs also count per account from everywhere, against a far higher
      RATELIMIT_LOGIN_ACCOUNT. Past it the account is under attack: a client that
      has failed on it already is slowed down (429, Retry-After
      RATELIMIT_LOGIN_SLOWDOWN_SECONDS), while a client that has not (the owner on
      their own computer) is let through to try its password.
    """
    per_ip = limiter.shared_limit(
        configured_limit(config_key), scope="login-ip", key_func=client_key, methods=["POST"]
    )
    per_pair = limiter.shared_limit(
        configured_limit(config_key),
        scope="login-pair",
        key_func=pair_key,
        methods=["POST"],
        deduct_when=_failed_login,
    )

    def decorate(view):
        limited = per_ip(per_pair(view))

        @wraps(view)
        def wrapped(*args, **kwargs):
            watching = request.method == "POST" and limiter.enabled and bool(_account_limits())
            if watching and _counters(lambda: _account_is_under_attack() and _failed_here_before()):
                return _slow_down()
            response = current_app.make_response(limited(*args, **kwargs))
            if watching and _failed_login(response):
                _counters(_count_failure)
            return response

        return wrapped

    return decorate


def _counters(read_or_count: Callable[[], object]) -> object:
    """The account counters, or nothing while their storage is unreachable (the per-client
    limits, which Flask-Limiter keeps in memory meanwhile, still hold)."""
    try:
        return read_or_count()
    except Exception:  # a storage outage must not stop logins
        current_app.logger.warning("login: account counters unavailable", exc_info=True)
        return None


def _slow_down() -> Response:
    from .errors import render_error

    response = render_error(TooManyRequests())
    response.headers["Retry-After"] = str(current_app.config["RATELIMIT_LOGIN_SLOWDOWN_SECONDS"])
    return response


def retry_after_seconds() -> int:
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()))


def too_many_requests(error: RateLimitExceeded):
    """429 with the Dutch error page (or partial) and a Retry-After header."""
    from .errors import render_error

    response = render_error(error)
    response.headers["Retry-After"] = str(retry_after_seconds())
    return response
