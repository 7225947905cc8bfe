"""Repository functions: keyword-only, one commit per call, nothing about Streamlit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from db import audit
from db.models import Grade, GradeOverride, Message, PersonaDraft, PersonaVersion, PracticeSession, User, utcnow


def create_session(
    db: Session, *, trainee: str, user_id: int | None = None, persona_slug: str, persona_version: str, difficulty: str,
    seed: int, backend: str, model: str | None, state_json: str, mode: str = "practice",
    attempt_id: int | None = None,
) -> PracticeSession:
    row = PracticeSession(
        user_id=user_id, trainee=trainee, persona_slug=persona_slug, persona_version=persona_version,
        difficulty=difficulty, seed=seed, backend=backend, model=model, state_json=state_json,
        mode=mode, status="active", attempt_id=attempt_id,
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


def all_sessions_with_messages(db: Session, ids: Sequence[int] | None = None) -> Sequence[PracticeSession]:
    query = select(PracticeSession).order_by(PracticeSession.id).options(
        selectinload(PracticeSession.messages), selectinload(PracticeSession.grades))
    if ids is not None:
        query = query.where(PracticeSession.id.in_(list(ids)))
    return db.scalars(query).all()


T = TypeVar("T")


def commit_audited(db: Session, change: Callable[[], T], attempts: int = 8) -> T:
    """Run ``change`` (which adds rows and their audit entries) and commit; if another writer extended the
    audit chain first, roll back and run it again on the new chain end."""
    for attempt in range(attempts):
        try:
            result = change()
            db.commit()
            return result
        except IntegrityError as exc:
            db.rollback()
            if not audit.is_chain_conflict(exc) or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def add_grade(
    db: Session, *, session_id: int, rubric_version: str, grader_version: str, judge_model: str | None,
    judge_status: str, status: str, overall: int, passed: bool, report_json: str, judge_raw: str | None,
    flags_count: int = 0, actor: str = "system", end_state_json: str | None = None,
) -> Grade:
    """Append a grade (never updates an earlier one), with its audit entry.

    With ``end_state_json`` the session is ended in the same transaction: an ended chat never lacks its grade.
    """
    def change() -> Grade:
        row = Grade(session_id=session_id, rubric_version=rubric_version, grader_version=grader_version,
                    judge_model=judge_model, judge_status=judge_status, status=status, overall=overall,
                    passed=passed, report_json=report_json, judge_raw=judge_raw, flags_count=flags_count)
        db.add(row)
        db.flush()
        session = db.get(PracticeSession, session_id)
        if session is not None:
            session.latest_grade_id, session.latest_overall = row.id, overall
            session.latest_flagged = flags_count > 0 or status == "needs_review"
            if end_state_json is not None:
                session.state_json = end_state_json
                session.status, session.ended_reason, session.ended_at = "ended", "agent_ended", utcnow()
        audit.append(db, actor=actor, action="grade.added", subject_type="grade", row=row)
        return row

    return commit_audited(db, change)


def browse_sessions(
    db: Session, *, team: str | None = None, trainee: str | None = None, personas: Sequence[str] = (),
    difficulty: str | None = None, mode: str | None = None, started_from: datetime | None = None,
    started_to: datetime | None = None, score_min: int | None = None, score_max: int | None = None,
    flagged: bool = False, exemplars: bool = False, sort: str = "newest", offset: int = 0, limit: int = 50,
) -> tuple[list[tuple[PracticeSession, User | None, Grade | None]], int]:
    """One page of sessions with their user and latest grade, filtered in SQL on one indexed table; and the
    total that matched."""
    conditions: list[Any] = []
    if team is not None:
        conditions.append(PracticeSession.user_id.in_(select(User.id).where(User.team == team)))
    if trainee:
        conditions.append(PracticeSession.trainee == trainee)
    if personas:
        conditions.append(PracticeSession.persona_slug.in_(list(personas)))
    if difficulty:
        conditions.append(PracticeSession.difficulty == difficulty)
    if mode:
        conditions.append(PracticeSession.mode == mode)
    if started_from is not None:
        conditions.append(PracticeSession.started_at >= started_from)
    if started_to is not None:
        conditions.append(PracticeSession.started_at < started_to)
    if score_min is not None:
        conditions.append(PracticeSession.latest_overall >= score_min)
    if score_max is not None:
        conditions.append(PracticeSession.latest_overall <= score_max)
    if flagged:
        conditions.append(PracticeSession.latest_flagged.is_(True))
    if exemplars:
        conditions.append(PracticeSession.exemplar_by.is_not(None))
    total = db.scalar(select(func.count(PracticeSession.id)).where(*conditions)) or 0
    orders: dict[str, tuple[Any, ...]] = {
        "newest": (PracticeSession.started_at.desc(), PracticeSession.id.desc()),
        "oldest": (PracticeSession.started_at.asc(), PracticeSession.id.asc()),
        "lowest score": (PracticeSession.latest_overall.asc().nulls_last(), PracticeSession.id.asc()),
        "highest score": (PracticeSession.latest_overall.desc().nulls_last(), PracticeSession.id.desc()),
    }
    page = (select(PracticeSession.id).where(*conditions).order_by(*orders[sort]).offset(offset).limit(limit)
            .subquery())
    query = (
        select(PracticeSession, User, Grade)
        .join(page, page.c.id == PracticeSession.id)
        .outerjoin(User, User.id == PracticeSession.user_id)
        .outerjoin(Grade, Grade.id == PracticeSession.latest_grade_id)
        .order_by(*orders[sort])
    )
    return [(s, u, g) for s, u, g in db.execute(query).all()], total


def add_override(db: Session, *, grade_id: int, criterion_id: str, level: int, reason: str,
                 by_user_id: int | None, by_username: str,
                 rescore: Callable[[Grade, Sequence[GradeOverride]], int] | None = None) -> GradeOverride:
    """Append an override with its audit entry; with ``rescore`` (the decided overall from the grade and all
    its overrides), the session's score of record is updated in the same transaction, so the browser filters
    and sorts on the decision and never on a score the override already replaced."""
    def change() -> GradeOverride:
        row = GradeOverride(grade_id=grade_id, criterion_id=criterion_id, level=level, reason=reason,
                            by_user_id=by_user_id, by_username=by_username)
        audit.append(db, actor=by_username, action="grade.overridden", subject_type="override", row=row)
        grade = db.get(Grade, grade_id)
        session = db.get(PracticeSession, grade.session_id) if grade is not None else None
        if rescore is not None and grade is not None and session is not None and session.latest_grade_id == grade_id:
            session.latest_overall = rescore(grade, overrides_for(db, grade_id))
        return row

    return commit_audited(db, change)


def overrides_for(db: Session, grade_id: int) -> Sequence[GradeOverride]:
    return db.scalars(select(GradeOverride).where(GradeOverride.grade_id == grade_id).order_by(GradeOverride.id)).all()


def latest_grade(db: Session, session_id: int) -> Grade | None:
    return db.scalar(select(Grade).where(Grade.session_id == session_id).order_by(Grade.id.desc()).limit(1))


def grades_for(db: Session, session_id: int) -> Sequence[Grade]:
    return db.scalars(select(Grade).where(Grade.session_id == session_id).order_by(Grade.id)).all()


def trainee_history(db: Session, *, trainee: str, limit: int = 100) -> Sequence[tuple[PracticeSession, Grade | None]]:
    """A trainee's sessions, newest first, each with its latest grade (or None)."""
    query = (
        select(PracticeSession, Grade)
        .outerjoin(Grade, Grade.id == PracticeSession.latest_grade_id)
        .where(PracticeSession.trainee == trainee)
        .order_by(PracticeSession.started_at.desc(), PracticeSession.id.desc())
        .limit(limit)
    )
    return [(s, g) for s, g in db.execute(query).all()]


# -- persona versions (scenario authoring) -----------------------------------------------------
def add_persona_version(db: Session, *, slug: str, yaml_text: str, content_hash: str, source: str,
                        note: str | None, by_user_id: int | None, by_username: str) -> PersonaVersion:
    """Append the next version of ``slug``; a concurrent publish of the same number fails on the unique key."""
    current = db.scalar(select(func.max(PersonaVersion.version)).where(PersonaVersion.slug == slug)) or 0
    row = PersonaVersion(slug=slug, version=current + 1, yaml_text=yaml_text, content_hash=content_hash,
                         source=source, note=note, by_user_id=by_user_id, by_username=by_username)
    db.add(row)
    db.commit()
    return row


def latest_persona_versions(db: Session) -> Sequence[PersonaVersion]:
    """The newest version of every persona."""
    newest = (select(PersonaVersion.slug, func.max(PersonaVersion.version).label("v"))
              .group_by(PersonaVersion.slug).subquery())
    query = (select(PersonaVersion)
             .join(newest, (newest.c.slug == PersonaVersion.slug) & (newest.c.v == PersonaVersion.version))
             .order_by(PersonaVersion.slug))
    return db.scalars(query).all()


def persona_versions(db: Session, slug: str) -> Sequence[PersonaVersion]:
    return db.scalars(select(PersonaVersion).where(PersonaVersion.slug == slug)
                      .order_by(PersonaVersion.version.desc())).all()


def persona_version_by_hash(db: Session, *, slug: str, content_hash: str) -> PersonaVersion | None:
    return db.scalar(select(PersonaVersion)
                     .where(PersonaVersion.slug == slug, PersonaVersion.content_hash == content_hash)
                     .order_by(PersonaVersion.version).limit(1))


def persona_versions_stamp(db: Session) -> int:
    """Changes whenever a version is published (the newest id)."""
    return db.scalar(select(func.max(PersonaVersion.id))) or 0


def sessions_per_persona_version(db: Session, slug: str) -> dict[str, int]:
    rows = db.execute(select(PracticeSession.persona_version, func.count())
                      .where(PracticeSession.persona_slug == slug)
                      .group_by(PracticeSession.persona_version)).all()
    return {h: n for h, n in rows}


def get_persona_draft(db: Session, slug: str) -> PersonaDraft | None:
    return db.get(PersonaDraft, slug)


def save_persona_draft(db: Session, *, slug: str, yaml_text: str, by_username: str) -> None:
    row = db.get(PersonaDraft, slug)
    if row is None:
        db.add(PersonaDraft(slug=slug, yaml_text=yaml_text, by_username=by_username))
    else:
        row.yaml_text, row.by_username, row.updated_at = yaml_text, by_username, utcnow()
    db.commit()


def delete_persona_draft(db: Session, slug: str) -> None:
    row = db.get(PersonaDraft, slug)
    if row is not None:
        db.delete(row)
        db.commit()
