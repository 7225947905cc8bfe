"""Repository functions: keyword-only, one commit per call, nothing about Streamlit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from db.models import Grade, Message, PracticeSession, utcnow


def create_session(
    db: Session, *, trainee: str, user_id: int | None = None, persona_slug: str, persona_version: str, difficulty: str,
    seed: int, backend: str, model: str | None, state_json: str, mode: str = "practice",
) -> PracticeSession:
    row = PracticeSession(
        user_id=user_id, trainee=trainee, persona_slug=persona_slug, persona_version=persona_version,
        difficulty=difficulty, seed=seed, backend=backend, model=model, state_json=state_json,
        mode=mode, status="active",
    )
    db.add(row)
    db.commit()
    return row


def _next_seq(db: Session, session_id: int) -> int:
    current = db.scalar(select(func.max(Message.seq)).where(Message.session_id == session_id))
    return 1 if current is None else current + 1


def add_message(db: Session, *, session_id: int, role: str, content: str, frustration: float) -> Message:
    """Append and commit one message (the unique (session, seq) key refuses duplicates)."""
    row = Message(session_id=session_id, seq=_next_seq(db, session_id), role=role, content=content,
                  frustration=frustration)
    db.add(row)
    db.commit()
    return row


def save_state(
    db: Session, *, session_id: int, state_json: str, ended_reason: str | None = None,
    message: tuple[str, str, float] | None = None, tokens: tuple[int, int] = (0, 0),
) -> Message | None:
    """Store the customer's new state, optionally with its message and the tokens it used, in one transaction."""
    row = db.get(PracticeSession, session_id)
    if row is None:
        raise LookupError(f"no session {session_id}")
    added = None
    if message is not None:
        role, content, frustration = message
        added = Message(session_id=session_id, seq=_next_seq(db, session_id), role=role, content=content,
                        frustration=frustration)
        db.add(added)
    row.state_json = state_json
    row.tokens_in += tokens[0]
    row.tokens_out += tokens[1]
    if ended_reason is not None:
        row.status, row.ended_reason, row.ended_at = "ended", ended_reason, utcnow()
    db.commit()
    return added


def get_session(db: Session, session_id: int) -> PracticeSession | None:
    return db.scalar(
        select(PracticeSession).where(PracticeSession.id == session_id).options(selectinload(PracticeSession.messages))
    )


def list_sessions(
    db: Session, *, trainee: str | None = None, user_id: int | None = None, status: str | None = None,
    limit: int = 50,
) -> Sequence[PracticeSession]:
    query = select(PracticeSession).order_by(PracticeSession.started_at.desc(), PracticeSession.id.desc())
    if trainee is not None:
        query = query.where(PracticeSession.trainee == trainee)
    if user_id is not None:
        query = query.where(PracticeSession.user_id == user_id)
    if status is not None:
        query = query.where(PracticeSession.status == status)
    return db.scalars(query.limit(limit)).all()


def all_sessions_with_messages(db: Session) -> Sequence[PracticeSession]:
    query = select(PracticeSession).order_by(PracticeSession.id).options(
        selectinload(PracticeSession.messages), selectinload(PracticeSession.grades))
    return db.scalars(query).all()


def add_grade(
    db: Session, *, session_id: int, rubric_version: str, grader_version: str, judge_model: str | None,
    judge_status: str, status: str, overall: int, passed: bool, report_json: str, judge_raw: str | None,
) -> Grade:
    """Append a grade (never updates an earlier one)."""
    row = Grade(session_id=session_id, rubric_version=rubric_version, grader_version=grader_version,
                judge_model=judge_model, judge_status=judge_status, status=status, overall=overall, passed=passed,
                report_json=report_json, judge_raw=judge_raw)
    db.add(row)
    db.commit()
    return row


def latest_grade(db: Session, session_id: int) -> Grade | None:
    return db.scalar(select(Grade).where(Grade.session_id == session_id).order_by(Grade.id.desc()).limit(1))


def grades_for(db: Session, session_id: int) -> Sequence[Grade]:
    return db.scalars(select(Grade).where(Grade.session_id == session_id).order_by(Grade.id)).all()


def trainee_history(db: Session, *, trainee: str, limit: int = 100) -> Sequence[tuple[PracticeSession, Grade | None]]:
    """A trainee's sessions, newest first, each with its latest grade (or None)."""
    latest = (select(Grade.session_id, func.max(Grade.id).label("grade_id")).group_by(Grade.session_id)
              .subquery())
    query = (
        select(PracticeSession, Grade)
        .outerjoin(latest, latest.c.session_id == PracticeSession.id)
        .outerjoin(Grade, Grade.id == latest.c.grade_id)
        .where(PracticeSession.trainee == trainee)
        .order_by(PracticeSession.started_at.desc(), PracticeSession.id.desc())
        .limit(limit)
    )
    return [(s, g) for s, g in db.execute(query).all()]
