"""Trainers' judgements of single criteria and trainees' disputes: every query. Adds and flushes; never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import audit
from db.models import GradeOverride, utcnow
from db.models_calibration import Dispute, Judgement
from grading.agreement import JudgedPair


def pair_of(row: Judgement) -> JudgedPair:
    return JudgedPair(row.session_id, row.criterion_id, row.grader_level, row.level, row.source, row.by_username,
                      row.created_at, row.rubric_number)


class CalibrationRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add_judgement(self, *, session_id: int, grade_id: int, criterion_id: str, rubric_number: int,
                      grader_level: int | None, level: int, source: str, by: str,
                      override_id: int | None = None) -> Judgement:
        """Append a judgement with its audit entry."""
        row = Judgement(session_id=session_id, grade_id=grade_id, criterion_id=criterion_id,
                        rubric_number=rubric_number, grader_level=grader_level, level=level, source=source,
                        by_username=by, override_id=override_id)
        audit.append(self.db, actor=by, action=f"judgement.{source}", subject_type="judgement", row=row)
        return row

    def judgements(self, *, rubric_number: int | None = None, criterion_id: str | None = None) -> list[JudgedPair]:
        """Oldest first (the newest of each chat and criterion decides; see ``grading.agreement``)."""
        query = select(Judgement).order_by(Judgement.id)
        if rubric_number is not None:
            query = query.where(Judgement.rubric_number == rubric_number)
        if criterion_id is not None:
            query = query.where(Judgement.criterion_id == criterion_id)
        return [pair_of(r) for r in self.db.scalars(query)]

    def overrides_without_judgement(self, limit: int = 500) -> Sequence[GradeOverride]:
        """Overrides stored before judgements were recorded (oldest first)."""
        return self.db.scalars(select(GradeOverride).outerjoin(Judgement, Judgement.override_id == GradeOverride.id)
                               .where(Judgement.id.is_(None)).order_by(GradeOverride.id).limit(limit)).all()

    def judgements_of_session(self, session_id: int) -> Sequence[Judgement]:
        return self.db.scalars(select(Judgement).where(Judgement.session_id == session_id)
                               .order_by(Judgement.id)).all()

    def rubric_numbers(self) -> list[int]:
        return list(self.db.scalars(select(Judgement.rubric_number).distinct().order_by(Judgement.rubric_number)))

    def add_dispute(self, *, session_id: int, grade_id: int, criterion_id: str, reason: str, by_user_id: int,
                    by_username: str, requested_level: int | None = None) -> Dispute:
        row = Dispute(session_id=session_id, grade_id=grade_id, criterion_id=criterion_id, reason=reason,
                      by_user_id=by_user_id, by_username=by_username, status="open", requested_level=requested_level)
        audit.append(self.db, actor=by_username, action="dispute.opened", subject_type="dispute", row=row)
        return row

    def decide_dispute(self, row: Dispute, *, upheld: bool, level: int | None, reason: str, by: str,
                       now: datetime | None = None) -> Dispute:
        row.status = "upheld" if upheld else "rejected"
        row.decided_by, row.decision_reason, row.decided_level = by, reason, level
        row.decided_at = now or utcnow()
        audit.append(self.db, actor=by, action=f"dispute.{row.status}", subject_type="dispute", row=row)
        return row

    def dispute(self, dispute_id: int) -> Dispute | None:
        return self.db.get(Dispute, dispute_id)

    def disputes_of_session(self, session_id: int) -> Sequence[Dispute]:
        return self.db.scalars(select(Dispute).where(Dispute.session_id == session_id).order_by(Dispute.id)).all()

    def open_dispute(self, session_id: int, criterion_id: str) -> Dispute | None:
        return self.db.scalar(select(Dispute).where(Dispute.session_id == session_id,
                                                    Dispute.criterion_id == criterion_id, Dispute.status == "open"))

    def open_disputes(self) -> Sequence[Dispute]:
        return self.db.scalars(select(Dispute).where(Dispute.status == "open").order_by(Dispute.id)).all()

    def unseen_decisions(self, user_id: int) -> Sequence[Dispute]:
        """The user's decided disputes they have not seen yet, newest chat first (oldest dispute first within)."""
        return self.db.scalars(select(Dispute).where(Dispute.by_user_id == user_id, Dispute.status != "open",
                                                     Dispute.decision_seen_at.is_(None))
                               .order_by(Dispute.session_id.desc(), Dispute.id)).all()

    def mark_decisions_seen(self, session_id: int, now: datetime | None = None) -> Sequence[Dispute]:
        """The chat's decided disputes not seen yet become seen; returns them (oldest first)."""
        rows = self.db.scalars(select(Dispute).where(Dispute.session_id == session_id, Dispute.status != "open",
                                                     Dispute.decision_seen_at.is_(None)).order_by(Dispute.id)).all()
        for row in rows:
            row.decision_seen_at = now or utcnow()
        return rows
