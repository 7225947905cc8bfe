"""Several processes starting together on a fresh database: the migrations run once, under a lock, and every
process comes up (both databases).

Each process imports the app, then waits at a shared start time before it migrates, so they really race.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from tests.conftest import AGENTS, ROOT

PROCESSES = 5
RACER = """
import sys, time
from db.migrate import upgrade
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
upgrade(sys.argv[1])
print("ok")
"""


def _race(url: str) -> list[subprocess.CompletedProcess[str]]:
    start = time.time() + 8  # every process has imported the app by then
    procs = [subprocess.Popen([sys.executable, "-c", RACER, url, str(start)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(PROCESSES)]
    done = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return done


def _head() -> str:
    from alembic.script import ScriptDirectory

    from db.migrate import MIGRATIONS, alembic_config

    config = alembic_config("sqlite://")
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_processes_starting_together_on_a_fresh_database_all_come_up(database_url: str) -> None:
    results = _race(database_url)
    assert [r.returncode for r in results] == [0] * PROCESSES, "\n".join(r.stderr[-2000:] for r in results)
    engine = create_engine(database_url)
    with engine.connect() as conn:
        versions = conn.execute(text("select version_num from alembic_version")).scalars().all()
        assert versions == [_head()]
        assert "practice_sessions" in inspect(conn).get_table_names()
    engine.dispose()


def test_two_simulations_started_at_once_on_a_new_sqlite_file_both_finish(tmp_path: Path) -> None:
    """What a new user tried: two `python -m customer simulate` runs on one new SQLite file at the same moment."""
    url = f"sqlite:///{tmp_path / 'new.db'}"
    args = [sys.executable, "-m", "customer", "simulate", "--persona", "hostile", "--agent-lines",
            str(AGENTS / "hostile.txt"), "--seed", "4", "--database-url", url, "--json"]
    procs = [subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
    assert len({json.loads(out)["session_id"] for out, _ in outs}) == 2
