"""Export stored sessions as JSON (the DESIGN.md contract) or CSV (one row per message).

The storage layer knows the raw rows (sessions, messages, grades and their overrides); the service layer adds
per-session keys it decides (the score of record, per-criterion levels, team) through ``extra``.

Every CSV the app writes (these exports, the scores, campaign, calibration and analytics downloads) goes through
:func:`csv_text`, whose cells pass :func:`spreadsheet_safe`: a text a spreadsheet would run as a formula (CSV
injection) is written with a leading ``'``. They live here, the lowest layer that writes CSV, so that the
``python -m db`` CLI and the services share them (layers only import downwards); JSON keeps the exact text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from numbers import Number
from typing import Any

from sqlalchemy.orm import Session

from db.repositories.grades import GradeRepository
from db.repositories.sessions import SessionRepository

#: What makes a spreadsheet read a cell as a formula: OWASP's list (= + - @, tab, carriage return) and the
#: full-width forms of the four signs (some locales' spreadsheets convert them).
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def spreadsheet_safe(value: object) -> object:
    """``value`` as a CSV cell no spreadsheet runs: a text starting with a formula character (also after leading
    whitespace, which some spreadsheets skip) gets a leading ``'`` (OWASP's CSV-injection advice). Typed numbers
    (a score of -3, a negative kappa) and None pass through unchanged, so they stay numbers in the file."""
    if value is None or isinstance(value, Number):
        return value
    text = value if isinstance(value, str) else str(value)
    if text[:1] in FORMULA_STARTS or text.lstrip()[:1] in FORMULA_STARTS:
        return "'" + text
    return value


def csv_text(header: Sequence[str], rows: Iterable[Mapping[str, object] | Sequence[object]], *,
             lineterminator: str = "\n") -> str:
    """The one CSV writer of every export: a header line, then one line per row (a mapping by column name,
    missing ones empty, or a sequence in column order), every cell (the header's too) through
    :func:`spreadsheet_safe`.

    The csv module's minimal quoting quotes only the characters of ``lineterminator``: a bare CR in a ``\n``
    file would be left unquoted, and a spreadsheet would start a new row (and a formula) after it. A row with a
    line break the terminator does not cover is therefore written with every text cell quoted."""
    buffer = io.StringIO()
    plain = csv.writer(buffer, lineterminator=lineterminator)
    quoted = csv.writer(buffer, lineterminator=lineterminator, quoting=csv.QUOTE_NONNUMERIC)
    uncovered = tuple(ch for ch in "\r\n" if ch not in lineterminator)
    columns = set(header)

    def write(cells: Iterable[object]) -> None:
        safe = [spreadsheet_safe(cell) for cell in cells]
        breaks = any(isinstance(cell, str) and ch in cell for cell in safe for ch in uncovered)
        (quoted if breaks else plain).writerow(safe)

    write(header)
    for row in rows:
        if isinstance(row, Mapping):
            unknown = row.keys() - columns
            if unknown:
                raise ValueError(f"cells without a column: {sorted(unknown)}")
            write(row.get(name, "") for name in header)
        else:
            write(row)
    return buffer.getvalue()


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
    def rows() -> Iterable[dict[str, Any]]:
        for s in sessions_as_dicts(db, ids):
            session_values = {c: (extra or {}).get(s["id"], {}).get(c, "") for c in extra_columns}
            for m in s["messages"]:
                yield {
                    "session_id": s["id"], "persona": s["persona"], "user": s["user"], "mode": s["mode"],
                    "difficulty": s["difficulty"], "started_at": s["started_at"], "seq": m["seq"],
                    "role": m["role"], "content": m["content"], "frustration": m["frustration"],
                    "created_at": m["created_at"], **session_values,
                }

    return csv_text([*CSV_COLUMNS, *extra_columns], rows())
