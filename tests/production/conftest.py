"""Fixtures for the production footing: staff users, apps with production settings."""

from __future__ import annotations

import secrets

import pytest

from caseapp import create_app
from caseapp.auth.passwords import hash_password
from caseapp.config import ProductionConfig, TestConfig
from caseapp.extensions import db
from caseapp.models import User
from tests.production.probes import probes


@pytest.fixture()
def make_staff_user(app):
    def _make(email: str = "medewerker@example.nl", role: str = "asr", active: bool = True,
              password: str = "geheim-wachtwoord") -> User:
        user = User(email=email, name=email.split("@")[0], role=role, active=active,
                    password_hash=hash_password(password))
        db.session.add(user)
        db.session.commit()
        return user

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
