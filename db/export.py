"""Export stored sessions as JSON (the DESIGN.md contract) or CSV (one row per message).

The storage layer knows the raw rows (sessions, messages, grades and their overrides); the service layer adds
per-session keys it decides (the score of record, per-criterion levels, team) through ``extra``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from db.repositories.grades import GradeRepository
from db.repositories.sessions import SessionRepository

CSV_COLUMNS = ["session_id", "persona", "user", "mode", "difficulty", "started_at", "seq", "role",
               "content", "frustration", "created_at"]


def _overrides(db: Session, grade_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    return {grade_id: [{"id": o.id, "criterion_id": o.criterion_id, "level": o.level, "reason": o.reason,
                        "by": o.by_username, "at": o.created_at.isoformat()} for o in rows]
            for grade_id, rows in GradeRepository(db).overrides_by_grade(grade_ids).items()}


def sessions_as_dicts(db: Session, ids: Sequence[int] | None = None,
                      extra: Mapping[int, Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Sessions with messages and grades (each grade with its overrides); ``extra`` adds keys per session id."""
    out = []
    rows = SessionRepository(db).with_messages(ids)
    overrides = _overrides(db, [g.id for s in rows for g in s.grades])
    for s in rows:
        out.append({
            "id": s.id, "persona": s.persona_slug, "persona_version": s.persona_version, "user": s.trainee,
            "mode": s.mode, "difficulty": s.difficulty, "backend": s.backend, "model": s.model,
            "status": s.status, "ended_reason": s.ended_reason, "started_at": s.started_at.isoformat(),
            "ended_at": s.ended_at.isoformat() if s.ended_at else None,
            "messages": [
                {"seq": m.seq, "role": m.role, "content": m.content, "frustration": m.frustration,
                 "created_at": m.created_at.isoformat()}
                for m in s.messages
            ],
            "grades": [
                {"id": g.id, "created_at": g.created_at.isoformat(), "overall": g.overall, "passed": g.passed,
                 "status": g.status, "rubric_version": g.rubric_version, "grader_version": g.grader_version,
                 "judge_model": g.judge_model, "judge_status": g.judge_status,
                 "overrides": overrides.get(g.id, [])}
                for g in s.grades
            ],
            **(extra or {}).get(s.id, {}),
        })
    return out


def export_json(db: Session, ids: Sequence[int] | None = None,
                extra: Mapping[int, Mapping[str, Any]] | None = None) -> str:
    return json.dumps({"sessions": sessions_as_dicts(db, ids, extra)}, ensure_ascii=False, indent=1)


def export_csv(db: Session, ids: Sequence[int] | None = None,
               extra: Mapping[int, Mapping[str, Any]] | None = None, extra_columns: Sequence[str] = ()) -> str:
    """One row per message; ``extra_columns`` (filled from ``extra``) repeat per-session values on each row."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*CSV_COLUMNS, *extra_columns], lineterminator="\n")
    writer.writeheader()
    for s in sessions_as_dicts(db, ids):
        session_values = {c: (extra or {}).get(s["id"], {}).get(c, "") for c in extra_columns}
        for m in s["messages"]:
            writer.writerow({
                "session_id": s["id"], "persona": s["persona"], "user": s["user"], "mode": s["mode"],
                "difficulty": s["difficulty"], "started_at": s["started_at"], "seq": m["seq"],
                "role": m["role"], "content": m["content"], "frustration": m["frustration"],
                "created_at": m["created_at"], **session_values,
            })
    return buffer.getvalue()
