"""Alembic, configured in code: ``upgrade(url)`` brings any database to head, one process at a time.

Several processes may start together on a fresh database (app replicas, two CLI runs); each migrates under a lock
so exactly one creates the tables and the others find them at head:
  * PostgreSQL: a transaction-level advisory lock, released when the migration transaction ends (DDL is
    transactional there, so a waiting process reads the committed version table);
  * SQLite: a lock file beside the database file (SQLite runs DDL outside a transaction in this driver, so no
    database lock can cover a whole migration); an in-memory database belongs to one process and needs none.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from filelock import FileLock
from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.engine import cached_engine

MIGRATIONS = Path(__file__).parent / "migrations"
#: Arbitrary, fixed: the advisory lock every process of this app takes to migrate a PostgreSQL database.
ADVISORY_LOCK_KEY = 0x5052_4143  # "PRAC"
#: How long a process waits for another one's migration before it gives up with a clear error.
LOCK_WAIT_SECONDS = 300


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _migrate(url: str) -> None:
    config = alembic_config(url)
    engine = cached_engine(url)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_SECONDS}s'"))
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def lock_file(url: str) -> Path | None:
    """The lock file that serialises migrations of a SQLite file (``None`` for other databases)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).with_name(Path(parsed.database).name + ".migrate.lock")


def upgrade(url: str) -> None:
    """Apply every pending migration to the database at ``url``."""
    path = lock_file(url)
    if path is None:
        _migrate(url)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path), timeout=LOCK_WAIT_SECONDS):
        _migrate(url)
