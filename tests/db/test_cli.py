"""`python -m db create-user` (and friends) as real subprocesses."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import create_engine, text

from tests.conftest import ROOT


def db_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "db", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=60)


def test_create_user_contract(database_url: str) -> None:
    assert db_cli("create-team", "--name", "red", "--database-url", database_url).returncode == 0
    ok = db_cli("create-user", "--username", "Ann", "--role", "trainer", "--team", "red", "--password-stdin",
                "--database-url", database_url, stdin="a long password\n")
    assert ok.returncode == 0, ok.stderr
    with create_engine(database_url).connect() as conn:
        row = conn.execute(text("select username, role, team, password_hash from users")).one()
    assert row[:3] == ("ann", "trainer", "red") and row[3].startswith("$argon2id$")
    cases = [
        (["--role", "boss"], "a long password\n", "invalid choice: 'boss'"),
        (["--role", "trainee"], "short\n", "at least 8 characters"),
        (["--role", "admin"], "a long password\n", "'ann' is taken"),
    ]
    for extra, stdin, message in cases:
        result = db_cli("create-user", "--username", "ann", *extra, "--password-stdin", "--database-url",
                        database_url, stdin=stdin)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0]
