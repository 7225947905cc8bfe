"""Exports with the score of record: the stored sessions (``db.export``) plus, per session, its team, status,
decided score and pass, whether a trainer overrode it, and the level of every criterion.

JSON keeps every key of the DESIGN.md contract and only adds ``team``, ``score``, ``passed``, ``overridden``,
``grade_status``, ``flags`` and ``criteria`` per session (and ``overrides`` per grade). CSV comes two ways:
``csv`` is one row per message with those session values repeated on each row (what ``python -m db export
--format csv`` prints), ``scores`` is one row per session. Every CSV of the app is written by :func:`csv_text`
(re-exported here from :mod:`db.export`), which neutralises spreadsheet formulas in text cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from db.export import csv_text as csv_text
from db.export import export_csv, export_json
from db.export import spreadsheet_safe as spreadsheet_safe
from db.models import Grade, PracticeSession
from db.repositories import UnitOfWork
from services.scores import Decision, criterion_titles, decisions, yes_no

FORMATS = ("json", "csv", "scores")
SESSION_COLUMNS = ["team", "status", "ended_reason", "score", "passed", "overridden", "grade_status", "flags"]
SCORE_COLUMNS = ["session_id", "user", "team", "persona", "difficulty", "mode", "status", "ended_reason",
                 "started_at", "score", "passed", "overridden", "grade_status", "flags"]


def level_columns() -> list[str]:
    return [f"level:{criterion}" for criterion in criterion_titles()]


def _json_keys(team: str | None, d: Decision | None) -> dict[str, Any]:
    return {
        "team": team, "score": d.overall if d else None, "passed": d.passed if d else None,
        "overridden": d.overridden if d else False, "grade_status": d.status if d else None,
        "flags": d.flags if d else 0,
        "criteria": [{"id": c.id, "title": c.title, "level": c.level, "original_level": c.machine_level,
                      "overridden": c.overridden} for c in d.criteria] if d else [],
    }


def _flat(session: PracticeSession, team: str | None, d: Decision | None) -> dict[str, Any]:
    """One session's values as CSV cells: empty for no grade, yes/no for booleans, a column per criterion."""
    levels = {c.id: c.level for c in d.criteria} if d else {}
    return {
        "session_id": session.id, "user": session.trainee, "team": team or "", "persona": session.persona_slug,
        "difficulty": session.difficulty, "mode": session.mode, "status": session.status,
        "ended_reason": session.ended_reason or "", "started_at": session.started_at.isoformat(),
        "score": "" if d is None else d.overall, "passed": "" if d is None else yes_no(d.passed),
        "overridden": "" if d is None else yes_no(d.overridden), "grade_status": d.status if d else "",
        "flags": d.flags if d else "",
        **{f"level:{c}": ("" if levels.get(c) is None else levels[c]) for c in criterion_titles()},
    }


def export(uow: UnitOfWork, fmt: str, ids: Sequence[int] | None = None) -> str:
    """All sessions (``ids`` None) or the ones given, as ``json``, ``csv`` (per message) or ``scores``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format '{fmt}'")
    db = uow.db
    rows = uow.sessions.with_team_and_grade(ids)
    decided = decisions(uow.grades, (g for _, _, g in rows), criteria=True)

    def decision(g: Grade | None) -> Decision | None:
        return decided.get(g.id) if g is not None else None

    if fmt == "json":
        return export_json(db, ids, {s.id: _json_keys(team, decision(g)) for s, team, g in rows})
    flat = {s.id: _flat(s, team, decision(g)) for s, team, g in rows}
    if fmt == "csv":
        return export_csv(db, ids, flat, [*SESSION_COLUMNS, *level_columns()])
    order = {sid: n for n, sid in enumerate(ids)} if ids is not None else {}
    ordered = sorted(rows, key=lambda r: order.get(r[0].id, r[0].id))
    return csv_text([*SCORE_COLUMNS, *level_columns()], (flat[s.id] for s, _, _ in ordered))
