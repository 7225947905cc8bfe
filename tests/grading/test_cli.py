"""The `python -m grading` contract, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.conftest import AGENTS, ROOT
from tests.grading.test_calibration import CALIBRATION


def grading(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grading", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_files_one_json_object_per_line_in_order(tmp_path: Path) -> None:
    files = [CALIBRATION / "hostile.strong.json", CALIBRATION / "hostile.weak.json",
             CALIBRATION / "language-barrier.strong.json"]
    result = grading(*map(str, files), "--database-url", f"sqlite:///{tmp_path / 'g.db'}", "--json")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    for out in lines:
        assert {"overall", "passed", "criteria", "flags", "judge"} <= set(out)
        assert out["judge"] == {"status": "not_configured", "model": None}
        assert all({"id", "score", "max", "evidence"} <= set(c) for c in out["criteria"])
    assert lines[0]["passed"] and not lines[1]["passed"] and lines[0]["overall"] > lines[1]["overall"]
    language = next(c for c in lines[2]["criteria"] if c["id"] == "language")
    assert language["score"] == 3 and next(c for c in lines[0]["criteria"] if c["id"] == "language")["score"] is None


def test_session_grade_is_stored_and_regrading_appends(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'g.db'}"
    sim = subprocess.run([sys.executable, "-m", "customer", "simulate", "--persona", "hostile", "--agent-lines",
                          str(AGENTS / "hostile.txt"), "--database-url", db, "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    session = json.loads(sim.stdout)["session_id"]
    first = json.loads(grading("--session", str(session), "--database-url", db, "--json").stdout)
    second = json.loads(grading("--session", str(session), "--database-url", db, "--json").stdout)
    assert first["session_id"] == session and first["passed"]
    assert second["grade_id"] == first["grade_id"] + 1
    assert {k: v for k, v in first.items() if k != "grade_id"} == {k: v for k, v in second.items() if k != "grade_id"}
    with create_engine(db).connect() as conn:
        rows = conn.execute(text("select overall, rubric_version, grader_version, judge_status from grades "
                                 "where session_id = :s order by id"), {"s": session}).all()
    # one grade when the customer ended the chat (resolved), then one row per regrade, all the same
    assert len(rows) == 3 and rows[0] == rows[1] == rows[2] and rows[0][3] == "not_configured"
    exported = json.loads(subprocess.run([sys.executable, "-m", "db", "export", "--format", "json",
                                          "--database-url", db], cwd=ROOT, capture_output=True, text=True).stdout)
    assert [g["overall"] for g in exported["sessions"][0]["grades"]] == [first["overall"]] * 3


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'g.db'}"
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"persona": "hostile", "messages": [')
    bad_role = tmp_path / "role.json"
    bad_role.write_text(json.dumps({"persona": "hostile", "messages": [{"role": "boss", "content": "hi"}]}))
    no_agent = tmp_path / "none.json"
    no_agent.write_text(json.dumps({"persona": "hostile", "messages": [{"role": "customer", "content": "hi"}]}))
    not_utf8 = tmp_path / "latin.json"
    not_utf8.write_bytes(b'{"persona": "caf\xe9"}')
    cases = [
        ([str(tmp_path / "missing.json")], "transcript file not found"),
        ([str(bad_json)], "not valid JSON (line 1"),
        ([str(bad_role)], "messages.0.role: Input should be 'customer' or 'agent'"),
        ([str(no_agent)], "no agent messages to grade"),
        ([str(not_utf8)], "not UTF-8"),
        ([str(CALIBRATION / "hostile.strong.json"), str(bad_role)], "messages.0.role"),
        (["--session", "42"], "No chat with id 42"),
        ([], "give transcript FILEs or --session ID"),
        (["--session", "1", str(CALIBRATION / "hostile.strong.json")], "one of them"),
        (["--judge", "maybe", str(CALIBRATION / "hostile.strong.json")], "invalid choice: 'maybe'"),
    ]
    for args, message in cases:
        result = grading(*args, "--database-url", db, "--json")
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, result.stderr)


def test_a_file_is_graded_without_a_database_in_a_read_only_data_directory(tmp_path: Path) -> None:
    """Grading a file builds no services and touches no database: it works where nothing can be written."""
    data = tmp_path / "readonly"
    data.mkdir()
    data.chmod(0o555)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "grading", str(CALIBRATION / "hostile.strong.json"), "--json"], cwd=ROOT,
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "DATA_DIR": str(data), "DATABASE_URL": f"sqlite:///{data / 'never.db'}"})
    finally:
        data.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["passed"] is True
    assert list(data.iterdir()) == []
