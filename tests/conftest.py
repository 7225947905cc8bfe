"""Shared fixtures: every test gets its own data directory and SQLite file."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from personas import PersonaCatalog, load_personas
from services import PracticeService, build_practice_service
from settings import Settings

ROOT = Path(__file__).resolve().parents[1]
AGENTS = Path(__file__).parent / "data" / "agents"
FLAGSHIP = ("hostile", "discount-demander", "provocateur", "language-barrier")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    for name in ("DATABASE_URL", "LLM_BACKEND", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture(scope="session")
def catalog() -> PersonaCatalog:
    return load_personas(ROOT / "personas")


#: The PostgreSQL server the storage and service suites also run on (trust auth on this machine kind).
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _postgres_reachable() -> bool:
    try:
        with create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3}).connect():
            return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new database on the PostgreSQL server (dropped afterwards).

    PostgreSQL is required when ``REQUIRE_POSTGRES=1`` (``make test`` sets it); elsewhere it is skipped if the
    server cannot be reached."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'practice.db'}"
        return
    if not _postgres_reachable():
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but not reachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL not reachable")
    name = f"practice_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    from db.engine import dispose_engines

    dispose_engines(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url)


@pytest.fixture
def service(settings: Settings) -> PracticeService:
    return build_practice_service(settings)


def run_sql(url: str, statement: str, params: dict[str, object] | None = None) -> None:
    """Change the database directly, behind the app's back (what tamper and fault tests need)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(statement), params or {})
    engine.dispose()


def agent_lines(name: str) -> list[str]:
    return [line for line in (AGENTS / f"{name}.txt").read_text().splitlines() if line.strip()]


def make_people(services: object) -> dict[str, object]:
    """The role-matrix cast: trainees ann (team red) and bob (blue), trainer tina (red), admin root, HR hazel (no
    team: HR sees every trainee's certification results)."""
    from services import Actor

    make = services.auth.create_user  # type: ignore[attr-defined]
    system = Actor.system()
    return {
        "ann": make(system, username="ann", role="trainee", password="password-1", team="red"),
        "bob": make(system, username="bob", role="trainee", password="password-2", team="blue"),
        "tina": make(system, username="tina", role="trainer", password="password-3", team="red"),
        "root": make(system, username="root", role="admin", password="password-4"),
        "hazel": make(system, username="hazel", role="hr", password="password-5"),
    }


def room_in_window(seconds: float, *, hour: bool = False) -> None:
    """Wait for the next minute (or hour) when fewer than ``seconds`` are left in this one, so that a test counting
    requests against a fixed-window rate limit runs inside one window (the database's clock is this machine's)."""
    import time
    from datetime import datetime

    now = datetime.now(UTC)
    left = (60 - now.second - now.microsecond / 1e6) + (60 * (59 - now.minute) if hour else 0)
    if left < seconds:
        time.sleep(left + 0.2)
