"""Fresh databases for one benchmark size: made, migrated, seeded, and thrown away.

SQLite: a file in a temporary folder. PostgreSQL: a database created next to the
one in the given URL (the server's `postgres` database is used to create and
drop it), dropped afterwards even when the run fails.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa


@contextmanager
def fresh_database(kind: str, base_url: str | None = None) -> Iterator[str]:
    """Yield the URL of an empty database of `kind` ("sqlite" or "postgresql")."""
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="caseapp-bench-"))
        try:
            yield f"sqlite:///{folder / 'bench.sqlite'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    if not base_url:
        raise ValueError("PostgreSQL needs --database-url")
    url = sa.engine.make_url(base_url)
    name = f"caseapp_bench_{uuid.uuid4().hex[:10]}"
    _admin(url, f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin(url: sa.engine.URL, statement: str) -> None:
    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def server_version(url: str) -> str:
    """`SELECT version()` of the server behind url, or sqlite3's library version."""
    if url.startswith("sqlite"):
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT version()")).scalar_one()
    finally:
        engine.dispose()


def migrate_and_seed(app, n: int, rng_seed: int) -> dict:
    """Build the schema with the real migrations, then seed n registrations."""
    from flask_migrate import upgrade

    from caseapp.extensions import db

    from .seed import seed

    with app.app_context():
        started = time.perf_counter()
        upgrade()
        migrated = time.perf_counter()
        counts = seed(n, rng_seed=rng_seed)
        seeded = time.perf_counter()
        db.session.remove()
        db.engine.dispose()
    return {"rows": counts, "migrate_s": round(migrated - started, 2), "seed_s": round(seeded - migrated, 2)}
