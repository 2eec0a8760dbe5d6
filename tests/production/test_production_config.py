"""A production configuration that is not safe refuses to start."""

import os
import subprocess
import sys

import pytest

from caseapp import create_app
from caseapp.config import DEV_SECRET_KEY, ProductionConfig
from tests.conftest import ROOT

GOOD_SECRET = "k" * 16 + "Q7#p" * 6


def make(**settings):
    base = {"SECRET_KEY": GOOD_SECRET, "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://app@127.0.0.1:1/caseapp"}
    base.update(settings)
    return create_app(base, config_class=ProductionConfig)


@pytest.mark.parametrize("secret", [None, "", DEV_SECRET_KEY, "too-short-but-not-default"])
def test_production_refuses_a_missing_default_or_short_secret_key(secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        make(SECRET_KEY=secret)


def test_production_refuses_sqlite_unless_explicitly_allowed(tmp_path):
    sqlite = "sqlite:///" + str(tmp_path / "prod.sqlite")
    with pytest.raises(RuntimeError, match="PostgreSQL"):
        make(SQLALCHEMY_DATABASE_URI=sqlite)
    assert make(SQLALCHEMY_DATABASE_URI=sqlite, ALLOW_SQLITE=True).config["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_the_instance_folder_sqlite_default():
    with pytest.raises(RuntimeError, match="PostgreSQL"):
        make(SQLALCHEMY_DATABASE_URI=None)


def test_production_starts_with_a_real_secret_and_postgresql():
    app = make()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["HSTS_SECONDS"] > 0


def _import_wsgi(**env):
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"SECRET_KEY", "DATABASE_URL", "ALLOW_SQLITE", "CASEAPP_ENV"}}
    environment.update(env)
    return subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=60)


def test_caseapp_env_production_without_a_secret_key_does_not_start():
    result = _import_wsgi(CASEAPP_ENV="production", DATABASE_URL="postgresql+psycopg://app@127.0.0.1:1/caseapp")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_caseapp_env_production_starts_from_the_environment():
    result = _import_wsgi(CASEAPP_ENV="production", SECRET_KEY=GOOD_SECRET,
                          DATABASE_URL="postgresql+psycopg://app@127.0.0.1:1/caseapp")
    assert result.returncode == 0, result.stderr
