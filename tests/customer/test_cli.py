"""The `python -m customer simulate` contract, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import AGENTS, ROOT


def simulate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "customer", "simulate", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_contract_keys_and_storage(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'sim.db'}"
    result = simulate("--persona", "hostile", "--agent-lines", str(AGENTS / "hostile.txt"), "--seed", "4",
                      "--database-url", db_url, "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert {"session_id", "persona", "backend", "turns", "final_frustration", "ended_reason"} <= set(out)
    assert (out["persona"], out["backend"], out["ended_reason"]) == ("hostile", "scripted", "resolved")
    assert out["turns"][0]["role"] == "customer"
    # The contract's keys, plus who spoke on the customer's turns (issue 16): one customer here.
    assert all(set(t) == {"role", "content", "frustration"} | ({"speaker"} if t["role"] == "customer" else set())
               for t in out["turns"])
    assert {t["speaker"] for t in out["turns"] if t["role"] == "customer"} == {"Derek Malone"}
    assert out["final_frustration"] == out["turns"][-1]["frustration"]
    with create_engine(db_url).connect() as conn:
        stored = conn.execute(text("select role, content from messages where session_id = :s order by seq"),
                              {"s": out["session_id"]}).all()
    assert [tuple(r) for r in stored] == [(t["role"], t["content"]) for t in out["turns"]]


def test_stops_early_when_the_customer_walks_away(tmp_path: Path) -> None:
    lines = tmp_path / "lines.txt"
    lines.write_text("Calm down.\nYou should have read the terms.\nWhatever.\n" + "ok\n" * 20)
    result = simulate("--persona", "hostile", "--agent-lines", str(lines), "--database-url",
                      f"sqlite:///{tmp_path / 's.db'}", "--json")
    out = json.loads(result.stdout)
    assert out["ended_reason"] == "walked_away"
    assert sum(t["role"] == "agent" for t in out["turns"]) < 5


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    huge = tmp_path / "huge.txt"
    huge.write_text("hello\n" + "x" * 5000 + "\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n \n")
    cases = [
        (["--persona", "nobody", "--agent-lines", str(AGENTS / "rude.txt")], "unknown persona 'nobody'"),
        (["--persona", "hostile", "--agent-lines", str(tmp_path / "missing.txt")], "agent-lines file not found"),
        (["--persona", "hostile", "--agent-lines", str(huge)], "huge.txt:2: line is 5,000 characters"),
        (["--persona", "hostile", "--agent-lines", str(empty)], "no agent lines"),
        (["--persona", "hostile", "--agent-lines", str(AGENTS / "rude.txt"), "--difficulty", "brutal"],
         "invalid choice: 'brutal'"),
    ]
    for args, message in cases:
        result = simulate(*args, "--database-url", db, "--json")
        assert result.returncode == 2, (args, result.stderr)
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], result.stderr


def test_dispute_names_each_customer_and_stores_who_spoke(tmp_path: Path) -> None:
    """Two customers in one chat: both open, each turn's speakers are named, the JSON keys stay as they were, and the
    stored messages carry the speaker."""
    lines = tmp_path / "lines.txt"
    lines.write_text("Elena, Marcus, I'm so sorry: we booked the same suite twice, and that is our mistake.\n"
                     "Marcus, what do you need for tonight?\n")
    db_url = f"sqlite:///{tmp_path / 'd.db'}"
    result = simulate("--persona", "dispute", "--agent-lines", str(lines), "--seed", "3", "--database-url", db_url,
                      "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert {"session_id", "persona", "backend", "turns", "final_frustration", "ended_reason"} <= set(out)
    turns = out["turns"]
    assert [t.get("speaker") for t in turns[:2]] == ["Elena Vasquez", "Marcus Webb"]
    assert turns[2]["role"] == "agent" and "speaker" not in turns[2]
    # Spoken to both: both answer. Spoken to Marcus by name: only he does.
    first_reply = [t["speaker"] for t in turns[3:] if t["role"] == "customer"][:2]
    assert sorted(first_reply) == ["Elena Vasquez", "Marcus Webb"]
    assert turns[-2]["role"] == "agent" and turns[-1]["speaker"] == "Marcus Webb"
    with create_engine(db_url).connect() as conn:
        stored = conn.execute(text("select role, speaker from messages where session_id = :s order by seq"),
                              {"s": out["session_id"]}).all()
    assert [tuple(r) for r in stored] == [(t["role"], t.get("speaker")) for t in turns]
