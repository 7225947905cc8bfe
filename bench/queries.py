"""Review-workspace query figures on a seeded data set (100,000 sessions, ~1,000,000 messages), on SQLite and
on PostgreSQL (a temporary database on the local server, dropped afterwards)."""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.engine import cached_engine
from db.migrate import upgrade
from db.seed import seed

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
Row = tuple[str, str, str, str]


def _median_ms(fn: Callable[[], object], runs: int = 15) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    ordered = sorted(samples)
    return statistics.median(samples), ordered[int(len(ordered) * 0.95) - 1]


def _measure(url: str, label: str, sessions: int) -> list[Row]:
    from services import Actor, ReviewFilters, build_services
    from settings import Settings

    upgrade(url)
    start = time.perf_counter()
    counts = seed(cached_engine(url), sessions=sessions)
    rows: list[Row] = [(f"[{label}] seed {counts['sessions']:,} sessions / {counts['messages']:,} messages",
                        f"{time.perf_counter() - start:.1f} s", "", "")]
    services = build_services(Settings(database_url=url, data_dir=Path(tempfile.gettempdir())))
    admin = Actor.system()
    cases = {
        "browser page 1, newest": ReviewFilters(),
        "browser page 1, customer+difficulty+score": ReviewFilters(personas=("hostile",), difficulty="hard",
                                                                   score_min=50, score_max=80),
        "browser page 1, team + date range": ReviewFilters(team="team03", started_from=date(2026, 6, 1),
                                                           started_to=date(2026, 8, 31)),
        "browser page 1, flagged, lowest score": ReviewFilters(flagged=True, sort="lowest score"),
    }
    for name, filters in cases.items():
        median, p95 = _median_ms(lambda f=filters: services.review.browse(admin, f, page=1, size=50))  # type: ignore[misc]
        rows.append((f"[{label}] {name}", f"{median:.1f} ms", f"{p95:.1f} ms", "15"))
    median, p95 = _median_ms(lambda: services.grading.history(admin, "trainee0042"))
    rows.append((f"[{label}] trainee trend query", f"{median:.1f} ms", f"{p95:.1f} ms", "15"))
    from db.audit import verify

    with services.grading.sessions() as db:
        start = time.perf_counter()
        checked, problem = verify(db)
        elapsed = time.perf_counter() - start
    rows.append((f"[{label}] verify-audit ({checked:,} rows, {'intact' if problem is None else problem})",
                 f"{elapsed:.1f} s", "", "1"))
    return rows


def query_rows(sessions: int = 100_000) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += _measure(f"sqlite:///{Path(tmp) / 'bench.db'}", "sqlite", sessions)
    name = f"practice_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        return [*rows, ("[postgresql] not reachable", str(exc).splitlines()[0][:60], "", "")]
    url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    try:
        rows += _measure(url, "postgresql", sessions)
    finally:
        cached_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return rows
