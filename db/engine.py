"""Engine and session factories (never created at import time)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import Pool

BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20, pool_timeout: float = 10.0,
                poolclass: type[Pool] | None = None) -> Engine:
    """An engine for ``url``; SQLite files get WAL, a busy timeout and foreign keys; PostgreSQL a lock timeout.
    Errors never carry the statement's parameters (a password hash, someone's message) into a log or a page.

    The pool bounds how many connections one process holds; a request that finds none free within
    ``pool_timeout`` seconds fails (see ``poolclass`` for how the services turn that into a plain message)."""
    parsed = make_url(url)
    pooling: dict[str, Any] = {}
    if parsed.get_backend_name() != "sqlite" or (parsed.database and parsed.database != ":memory:"):
        pooling = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": pool_timeout}
        if poolclass is not None:
            pooling["poolclass"] = poolclass
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, hide_parameters=True,
                               **pooling)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A row lock held elsewhere is waited for at most as long as SQLite's busy timeout, then reported plainly.
    return create_engine(url, pool_pre_ping=True, connect_args={"options": f"-c lock_timeout={BUSY_TIMEOUT_MS}"},
                         hide_parameters=True, **pooling)


_ENGINES: dict[tuple[Any, ...], Engine] = {}
_ENGINES_LOCK = threading.Lock()


def cached_engine(url: str, pool_size: int = 10, max_overflow: int = 20, pool_timeout: float = 10.0,
                  poolclass: type[Pool] | None = None) -> Engine:
    """One engine per process for each URL and pool shape."""
    key = (url, pool_size, max_overflow, pool_timeout, poolclass)
    with _ENGINES_LOCK:
        if key not in _ENGINES:
            _ENGINES[key] = make_engine(url, pool_size=pool_size, max_overflow=max_overflow,
                                        pool_timeout=pool_timeout, poolclass=poolclass)
        return _ENGINES[key]


def dispose_engines(url: str) -> None:
    """Close the connections of every cached engine for ``url`` (before a test drops its database)."""
    with _ENGINES_LOCK:
        engines = [engine for key, engine in _ENGINES.items() if key[0] == url]
    for engine in engines:
        engine.dispose()


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(cached_engine(url), expire_on_commit=False)
