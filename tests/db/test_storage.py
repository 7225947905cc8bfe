from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from db.engine import make_engine, session_factory
from db.export import export_csv, export_json
from db.migrate import upgrade
from db.models import Message
from db.repositories import UnitOfWork, Work
from tests.conftest import ROOT


def test_migrations_create_the_schema_on_an_empty_database(database_url: str) -> None:
    db_url = database_url
    upgrade(db_url)
    engine = make_engine(db_url)
    inspector = inspect(engine)
    assert {"practice_sessions", "messages", "grades", "users", "alembic_version"} <= set(inspector.get_table_names())
    with engine.connect() as conn:
        # The newest migration file, which is also the only head (two files with one number would fail here).
        newest = max(p.name[:4] for p in (ROOT / "db" / "migrations" / "versions").glob("[0-9]*.py"))
        assert conn.scalar(text("select version_num from alembic_version")) == newest
        if engine.dialect.name == "sqlite":
            assert conn.scalar(text("PRAGMA journal_mode")) == "wal"
            assert conn.scalar(text("PRAGMA foreign_keys")) == 1
            assert conn.scalar(text("PRAGMA busy_timeout")) == 5000
    upgrade(db_url)  # idempotent
    engine.dispose()


def _session(db_url: str) -> int:
    with Work(session_factory(db_url))() as uow:
        row = uow.sessions.create(trainee="ann", persona_slug="hostile", persona_version="abc", difficulty="hard",
                                  seed=7, backend="scripted", model=None, state="{}")
        uow.commit()
        return row.id


def test_round_trip_on_a_real_database(database_url: str) -> None:
    db_url = database_url
    upgrade(db_url)
    sid = _session(db_url)
    hostile_text = "<script>alert(1)</script> '; DROP TABLE messages; -- 😀 مرحبا \x07 \u200f"
    with Work(session_factory(db_url))() as uow:
        uow.sessions.add_message(session_id=sid, role="customer", content="Where is it?", frustration=8)
        uow.sessions.add_message(session_id=sid, role="agent", content=hostile_text, frustration=9.5)
        uow.sessions.add_message(session_id=sid, role="customer", content="Bye.", frustration=10, state='{"x": 1}')
        uow.sessions.save_state(session_id=sid, state='{"x": 1}', ended_reason="walked_away")
        uow.commit()
    fresh = session_factory(db_url)
    with fresh() as db:
        row = UnitOfWork(db).sessions.get(sid)
        assert row is not None
        assert [(m.seq, m.role, m.content, m.frustration) for m in row.messages] == [
            (1, "customer", "Where is it?", 8.0), (2, "agent", hostile_text, 9.5), (3, "customer", "Bye.", 10.0)]
        assert (row.status, row.ended_reason, row.state_json) == ("ended", "walked_away", '{"x": 1}')
        assert row.ended_at is not None and row.started_at <= row.ended_at


def test_sequence_numbers_are_unique_per_session(database_url: str) -> None:
    db_url = database_url
    upgrade(db_url)
    sid = _session(db_url)
    with session_factory(db_url)() as db:
        db.add(Message(session_id=sid, seq=1, role="agent", content="a", frustration=1))
        db.commit()
        db.add(Message(session_id=sid, seq=1, role="agent", content="b", frustration=1))
        with pytest.raises(IntegrityError):
            db.commit()


def test_messages_need_a_session(database_url: str) -> None:
    db_url = database_url
    upgrade(db_url)
    with session_factory(db_url)() as db:
        db.add(Message(session_id=999, seq=1, role="agent", content="a", frustration=1))
        with pytest.raises(IntegrityError):
            db.commit()


def test_export_json_and_csv(database_url: str) -> None:
    db_url = database_url
    upgrade(db_url)
    sid = _session(db_url)
    with session_factory(db_url)() as db:
        UnitOfWork(db).sessions.add_message(session_id=sid, role="customer",
                                            content='He said "no", then left,\nangry.', frustration=8)
        db.commit()
        data = json.loads(export_json(db))
        rows = list(csv.DictReader(io.StringIO(export_csv(db))))
    session = data["sessions"][0]
    assert {"id", "persona", "user", "mode", "started_at", "messages", "grades"} <= set(session)
    assert (session["id"], session["persona"], session["user"], session["mode"]) == (sid, "hostile", "ann", "practice")
    assert session["messages"][0]["content"] == 'He said "no", then left,\nangry.'
    assert rows[0]["content"] == 'He said "no", then left,\nangry.' and rows[0]["session_id"] == str(sid)
