"""Fixtures: a fresh database per test run (SQLite file, or a throw-away
PostgreSQL database when TEST_DATABASE_URL is set), emptied after every test."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseapp import create_app
from caseapp.config import TestConfig
from caseapp.extensions import db

pytest_plugins = ["tests.factories"]


def _admin_url(url: str) -> sa.engine.URL:
    return sa.engine.make_url(url)


def create_throwaway_database(base_url: str) -> str:
    """Create an empty PostgreSQL database next to the one in base_url; return its URL."""
    url = sa.engine.make_url(base_url)
    name = f"caseapp_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(url_string: str) -> None:
    url = sa.engine.make_url(url_string)
    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """One database for the whole run, its schema made from the models."""
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url = create_throwaway_database(base)
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url}, config_class=TestConfig)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield url
    if base:
        drop_database(url)


@pytest.fixture()
def app_config() -> dict:
    """Extra settings for the app under test; a folder's conftest or a module may override it."""
    return {}


@pytest.fixture()
def app(database_url, tmp_path, app_config):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, **app_config}, config_class=TestConfig)
    app.instance_path = str(tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        # Empty every table (children first) so the next test starts clean.
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        db.engine.dispose()


@pytest.fixture()
def make_app(database_url):
    """Another app on the same database, e.g. with other mail settings or for a second sender."""
    made = []

    def _make(**config):
        other = create_app({"SQLALCHEMY_DATABASE_URI": database_url, **config}, config_class=TestConfig)
        made.append(other)
        return other

    yield _make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


@pytest.fixture()
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def collect_statements():
    """`with collect_statements() as statements:` every SQL statement the engine sends inside."""
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before_cursor_execute)


@pytest.fixture()
def count_queries(app):
    """`with count_queries() as statements:` for query budgets (assert on len(statements))."""
    return collect_statements
