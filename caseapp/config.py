"""Configuration classes, read from the environment."""

import os
from datetime import timedelta

DEV_SECRET_KEY = "dev-only-not-secret"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    PRODUCTION = False
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    # None means: SQLite in the instance folder (filled in by create_app).
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"

    # The largest request body accepted (a 5 MB screenshot with its form fits);
    # larger ones are refused with 413 before anything is parsed. (One text field
    # of a multipart form may hold Flask's MAX_FORM_MEMORY_SIZE, 500 kB.)
    MAX_CONTENT_LENGTH = _int("MAX_REQUEST_MB", 6) * 1024 * 1024

    # Public base URL used in e-mail links (status link, detail page).
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    # Raamwerkcontractnummers normally start with this; others get a warning.
    CONTRACT_PREFIX = os.environ.get("CONTRACT_PREFIX", "A020")

    # Rendered board cards kept per process (caseapp.board.kit.CardCache), about
    # 2 KB each; 0 renders every card on every view.
    BOARD_CARD_CACHE_SIZE = _int("BOARD_CARD_CACHE_SIZE", 5000)

    # E-mail. No MAIL_SERVER means: keep messages in the outbox only.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Aanmelddesk salariskoppeling <noreply@example.nl>"
    )
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 10)
    MAIL_SUPPRESS_SEND = False
    ASR_INTAKE_MAILBOX = os.environ.get("ASR_INTAKE_MAILBOX", "intake-salariskoppeling@example.nl")
    KEYLANE_MAILBOX = os.environ.get("KEYLANE_MAILBOX", "salariskoppeling@keylane.example")
    # Who the processor contacts about a registration: the team that owns its step
    # (caseapp.contacts). Named in every e-mail to the processor, and its Reply-To,
    # and on the status page. An e-mail address left unset is the team's mailbox;
    # a phone number set empty is left out. Checked at start-up (caseapp.contacts).
    ASR_CONTACT_NAME = os.environ.get("ASR_CONTACT_NAME") or "a.s.r. Aanmelddesk salariskoppeling"
    ASR_CONTACT_EMAIL = os.environ.get("ASR_CONTACT_EMAIL") or None
    ASR_CONTACT_PHONE = os.environ.get("ASR_CONTACT_PHONE", "030 000 0000")
    KEYLANE_CONTACT_NAME = os.environ.get("KEYLANE_CONTACT_NAME") or "Keylane Servicedesk salariskoppeling"
    KEYLANE_CONTACT_EMAIL = os.environ.get("KEYLANE_CONTACT_EMAIL") or None
    KEYLANE_CONTACT_PHONE = os.environ.get("KEYLANE_CONTACT_PHONE", "085 000 0000")
    OUTBOX_MAX_ATTEMPTS = _int("OUTBOX_MAX_ATTEMPTS", 8)
    # Retry after 5, 10, 20, ... minutes, at most 6 hours apart: with 8 attempts a
    # message is given up on (status "failed") about 10.5 hours after the first.
    OUTBOX_RETRY_SECONDS = _int("OUTBOX_RETRY_SECONDS", 300)
    OUTBOX_RETRY_MAX_SECONDS = _int("OUTBOX_RETRY_MAX_SECONDS", 6 * 3600)
    # How long a sender may hold a claimed message; must outlast one SMTP conversation.
    OUTBOX_LEASE_SECONDS = _int("OUTBOX_LEASE_SECONDS", 300)
    OUTBOX_BATCH_SIZE = _int("OUTBOX_BATCH_SIZE", 20)
    OUTBOX_INTERVAL_SECONDS = _int("OUTBOX_INTERVAL_SECONDS", 30)
    # While a request to the processor is open: a reminder after each of these
    # numbers of working days (comma-separated), counted from the request's Dutch
    # date (`flask reminders send` queues them); after ESCALATION_WORKING_DAYS the
    # request is shown as escalated on the board, on /my and in the digest.
    REMINDER_WORKING_DAYS = os.environ.get("REMINDER_WORKING_DAYS", "3,7")
    ESCALATION_WORKING_DAYS = _int("ESCALATION_WORKING_DAYS", 10)

    # Abuse limits (Flask-Limiter syntax, several separated by ";"; "" switches one off).
    # Counters live in Redis when RATELIMIT_STORAGE_URI is redis://..., shared by every
    # process; with memory:// each process counts for itself.
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or "memory://"
    RATELIMIT_STORAGE_OPTIONS = {
        # Keeps the counters of two deployments sharing one Redis apart.
        "key_prefix": os.environ.get("RATELIMIT_KEY_PREFIX") or "caseapp",
        "socket_timeout": 2,
        "socket_connect_timeout": 2,
    }
    # Redis down: count in memory (per process) and log it, instead of failing requests.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # A payroll bureau submitting a batch of employers from one office stays well below.
    RATELIMIT_INTAKE = os.environ.get("RATELIMIT_INTAKE", "20 per minute; 200 per hour")
    RATELIMIT_STATUS = os.environ.get("RATELIMIT_STATUS", "120 per minute")
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute")
    # Failed logins of one account from all clients together; past it, clients that
    # failed on the account wait RATELIMIT_LOGIN_SLOWDOWN_SECONDS (caseapp.security).
    RATELIMIT_LOGIN_ACCOUNT = os.environ.get("RATELIMIT_LOGIN_ACCOUNT", "100 per hour")
    RATELIMIT_LOGIN_SLOWDOWN_SECONDS = _int("RATELIMIT_LOGIN_SLOWDOWN_SECONDS", 30)
    # No X-RateLimit-* headers on every response; a 429 says Retry-After (caseapp.security).
    RATELIMIT_HEADERS_ENABLED = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Idle lifetime: refreshed on every request of a permanent (staff) session.
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=_int("SESSION_IDLE_MINUTES", 60))
    # Absolute lifetime from login (caseapp.security).
    SESSION_ABSOLUTE_HOURS = _int("SESSION_ABSOLUTE_HOURS", 12)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # How many reverse proxies in front of the app set X-Forwarded-* (0: none, trust none).
    PROXY_COUNT = _int("PROXY_COUNT", 0)
    # Strict-Transport-Security max-age; 0 sends none (production sets a year).
    HSTS_SECONDS = 0
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
    # How many working days a team may hold a registration before it is stale.
    STALE_WORKING_DAYS = _int("STALE_WORKING_DAYS", 5)


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    MAIL_SERVER = None
    BASE_URL = "http://testserver"
    SERVER_NAME = None


class ProductionConfig(Config):
    PRODUCTION = True
    # __Host-: the browser keeps it only if Secure, for this host and path /, so no
    # other subdomain can set or overwrite it.
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_PATH = "/"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS_SECONDS = _int("HSTS_SECONDS", 365 * 24 * 3600)
    PREFERRED_URL_SCHEME = "https"
    ALLOW_SQLITE = _bool("ALLOW_SQLITE")

    @classmethod
    def check(cls, config: dict) -> None:
        """Refuse to start with settings that are unsafe in production."""
        secret = config.get("SECRET_KEY")
        if not secret or secret == DEV_SECRET_KEY or len(secret) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        uri = config.get("SQLALCHEMY_DATABASE_URI") or ""
        if uri.startswith("sqlite") and not config.get("ALLOW_SQLITE"):
            raise RuntimeError(
                "production runs on PostgreSQL: set DATABASE_URL (or ALLOW_SQLITE=1 to insist)"
            )
