"""Export stored sessions as JSON (the DESIGN.md contract) or CSV (one row per message)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from db.repository import all_sessions_with_messages

CSV_COLUMNS = ["session_id", "persona", "user", "mode", "difficulty", "started_at", "seq", "role",
               "content", "frustration", "created_at"]


def sessions_as_dicts(db: Session, ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
    out = []
    for s in all_sessions_with_messages(db, ids):
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
                 "judge_model": g.judge_model, "judge_status": g.judge_status}
                for g in s.grades
            ],
        })
    return out


def export_json(db: Session, ids: Sequence[int] | None = None) -> str:
    return json.dumps({"sessions": sessions_as_dicts(db, ids)}, ensure_ascii=False, indent=1)


def export_csv(db: Session, ids: Sequence[int] | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for s in sessions_as_dicts(db, ids):
        for m in s["messages"]:
            writer.writerow({
                "session_id": s["id"], "persona": s["persona"], "user": s["user"], "mode": s["mode"],
                "difficulty": s["difficulty"], "started_at": s["started_at"], "seq": m["seq"],
                "role": m["role"], "content": m["content"], "frustration": m["frustration"],
                "created_at": m["created_at"],
            })
    return buffer.getvalue()
