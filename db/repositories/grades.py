"""Grades (append-only, each with its audit entry) and trainers' overrides: every query, and the report stored as
its JSON. Adds and flushes; never commits (the unit of work does)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import audit
from db.models import Grade, GradeOverride, PracticeSession, utcnow
from grading.report import GradeReport

#: Grade ids per ``IN (...)`` query (well under SQLite's and PostgreSQL's parameter limits).
CHUNK = 500


def report_of(row: Grade) -> GradeReport:
    """The report as the grader produced it (overrides not applied)."""
    return GradeReport.from_json(row.report_json)


class GradeRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add(self, *, session_id: int, report: GradeReport, judge_raw: str | None, actor: str = "system",
            end_state_json: str | None = None) -> Grade:
        """Append a grade (never updates an earlier one) with its audit entry, and make it the session's latest.

        With ``end_state_json`` the session is ended too: an ended chat never lacks its grade."""
        row = Grade(session_id=session_id, rubric_version=report.rubric_version,
                    grader_version=report.grader_version, judge_model=report.judge.model,
                    judge_status=report.judge.status, status=report.status, overall=report.overall,
                    passed=report.passed, report_json=report.to_json(), judge_raw=judge_raw,
                    flags_count=len(report.flags))
        self.db.add(row)
        self.db.flush()
        session = self.db.get(PracticeSession, session_id)
        if session is not None:
            session.latest_grade_id, session.latest_overall = row.id, report.overall
            session.latest_flagged = bool(report.flags) or report.status == "needs_review"
            if end_state_json is not None:
                session.state_json = end_state_json
                session.status, session.ended_reason, session.ended_at = "ended", "agent_ended", utcnow()
        audit.append(self.db, actor=actor, action="grade.added", subject_type="grade", row=row)
        return row

    def add_override(self, *, grade_id: int, criterion_id: str, level: int, reason: str, by_user_id: int | None,
                     by_username: str, rescore: Callable[[Grade, Sequence[GradeOverride]], int] | None = None
                     ) -> GradeOverride:
        """Append an override with its audit entry; with ``rescore`` (the decided overall from the grade and all
        its overrides) the session's score of record follows, so the browser filters and sorts on the decision
        and never on a score the override already replaced."""
        row = GradeOverride(grade_id=grade_id, criterion_id=criterion_id, level=level, reason=reason,
                            by_user_id=by_user_id, by_username=by_username)
        audit.append(self.db, actor=by_username, action="grade.overridden", subject_type="override", row=row)
        grade = self.db.get(Grade, grade_id)
        session = self.db.get(PracticeSession, grade.session_id) if grade is not None else None
        if rescore is not None and grade is not None and session is not None and session.latest_grade_id == grade_id:
            session.latest_overall = rescore(grade, self.overrides(grade_id))
        return row

    def overrides(self, grade_id: int) -> Sequence[GradeOverride]:
        return self.db.scalars(select(GradeOverride).where(GradeOverride.grade_id == grade_id)
                               .order_by(GradeOverride.id)).all()

    def overrides_by_grade(self, grade_ids: Iterable[int]) -> dict[int, list[GradeOverride]]:
        """The overrides of these grades, oldest first (indexed by grade id; queried in chunks)."""
        ids = sorted(set(grade_ids))
        out: dict[int, list[GradeOverride]] = defaultdict(list)
        for start in range(0, len(ids), CHUNK):
            rows = self.db.scalars(select(GradeOverride).where(GradeOverride.grade_id.in_(ids[start:start + CHUNK]))
                                   .order_by(GradeOverride.id)).all()
            for row in rows:
                out[row.grade_id].append(row)
        return out

    def get(self, grade_id: int) -> Grade | None:
        return self.db.get(Grade, grade_id)

    def latest(self, session_id: int) -> Grade | None:
        return self.db.scalar(select(Grade).where(Grade.session_id == session_id).order_by(Grade.id.desc()).limit(1))

    def for_session(self, session_id: int) -> Sequence[Grade]:
        return self.db.scalars(select(Grade).where(Grade.session_id == session_id).order_by(Grade.id)).all()
