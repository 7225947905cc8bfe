"""Kill the trainee's process with SIGKILL, repeatedly, at random moments: every committed turn survives, the
SQLite file stays intact, the chat resumes, and an ended chat always has its grade."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT


def check(db_file: Path, committed: int) -> tuple[int, str | None, bool]:
    con = sqlite3.connect(db_file)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        seqs = [r[0] for r in con.execute("select seq from messages order by seq")]
        assert seqs == list(range(1, len(seqs) + 1)), "a gap or a duplicate in the turn numbers"
        agent = [r[0] for r in con.execute("select content from messages where role = 'agent' order by seq")]
        assert len(agent) == len(set(agent)), "an agent line was stored twice"
        assert len(seqs) >= committed, f"{committed} turns were reported committed, {len(seqs)} are stored"
        row = con.execute("select status, ended_reason, latest_grade_id from practice_sessions").fetchone()
        graded = row is not None and row[2] is not None
        if row is not None and row[1] == "agent_ended":
            assert graded, "the chat was ended by the trainee but has no grade"
        return len(seqs), row[1] if row else None, graded
    finally:
        con.close()


def test_sigkill_at_random_moments_loses_no_committed_turn(tmp_path: Path) -> None:
    db_file = tmp_path / "kill.db"
    url = f"sqlite:///{db_file}"
    rng = random.Random(20261123)
    kills, mid_session, committed, finished = 0, 0, 0, False
    for _ in range(60):
        proc = subprocess.Popen([sys.executable, "-m", "tests.faults.kill_driver", url], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        output: list[str] = []
        if kills < 30:  # wait for two committed turns, then kill at a random moment of the next one
            stamps: list[float] = []
            while len(stamps) < 2 and (line := proc.stdout.readline()):
                output.append(line.rstrip())
                if line.startswith("committed "):
                    stamps.append(time.perf_counter())
            # A turn takes ~4 ms on a fast machine and far longer on a loaded one: scale the wait to the turn
            # this run just measured, so the kill lands inside the next turn whatever the machine's speed.
            turn = stamps[1] - stamps[0] if len(stamps) == 2 else 0.0
            time.sleep(rng.uniform(0.0, turn))
            proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate(timeout=120)
        output += rest.splitlines()
        if proc.returncode == -signal.SIGKILL:
            kills += 1
        else:
            assert proc.returncode == 0, output
        printed = [int(line.split()[1]) for line in output if line.startswith("committed ")]
        mid_session += proc.returncode == -signal.SIGKILL and bool(printed)
        committed = max([committed, *printed])
        stored, ended_reason, graded = check(db_file, committed)
        if "done" in output:
            finished = True
            break
    assert kills >= 8 and mid_session >= 5 and finished  # most kills hit a running chat, not the start-up
    assert ended_reason == "agent_ended" and graded and stored == 81  # 40 turns each way + the opening line
