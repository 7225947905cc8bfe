"""Twenty trainees at once, on both databases, against a fast fake model server (a FAKE OpenAI-compatible server:
the point is the app under concurrency, not the model): nothing lost, nothing doubled, no database error."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from bench.load import LINES, run_service_load
from tests.fakes.openai_server import FakeOpenAIServer


def test_twenty_trainees_at_once(database_url: str, tmp_path: Path) -> None:
    with FakeOpenAIServer() as fake:
        fake.default = "Alright. I'm listening, but I want this fixed today."
        result = run_service_load(database_url, fake.base_url, tmp_path, trainees=20, turns=8)
    assert result.errors == []
    assert len(result.sessions) == 20 and len(result.turn_times) == 20 * 8
    engine = create_engine(database_url)
    with engine.connect() as conn:
        for username, session_id in result.sessions.items():
            rows = conn.execute(text("select seq, role, content from messages where session_id = :s order by seq"),
                                {"s": session_id}).all()
            assert [r.seq for r in rows] == list(range(1, 18)), username  # opening + 8 turns each way
            assert [r.role for r in rows] == ["customer"] + ["agent", "customer"] * 8
            agent = [r.content for r in rows if r.role == "agent"]
            assert agent == [f"{LINES[n % len(LINES)]} (#{n + 1})" for n in range(8)], username
    engine.dispose()
