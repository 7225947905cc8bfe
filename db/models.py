"""Storage design in one paragraph.

A ``PracticeSession`` is one chat between a trainee and a persona: it records
the persona slug and version hash, difficulty, seed, backend and model it ran
on, and the customer's state as JSON after the last committed turn (so an
unfinished chat resumes exactly).  Its ``Message`` rows are numbered
per session (``seq`` unique per session) and each is committed the moment it is
sent, so a crash never loses what was typed.  ``Grade`` rows are append-only:
each records the rubric version hash, grader version, judge model, the judge's
raw output and the whole report as JSON; regrading adds a row.  Nothing is
updated in place except the session's state and status.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    """An account. Passwords are stored only as argon2 hashes."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    team: Mapped[str | None] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PracticeSession(Base):
    __tablename__ = "practice_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    trainee: Mapped[str] = mapped_column(String(80), index=True)
    persona_slug: Mapped[str] = mapped_column(String(40))
    persona_version: Mapped[str] = mapped_column(String(32))
    difficulty: Mapped[str] = mapped_column(String(10))
    mode: Mapped[str] = mapped_column(String(20), default="practice")
    seed: Mapped[int]
    backend: Mapped[str] = mapped_column(String(20))
    model: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20), default="active")
    ended_reason: Mapped[str | None] = mapped_column(String(20))
    state_json: Mapped[str] = mapped_column(Text)
    #: The newest grade, copied here when it is appended so the transcript browser filters one indexed table.
    latest_grade_id: Mapped[int | None] = mapped_column(ForeignKey("grades.id", use_alter=True,
                                                                   name="fk_sessions_latest_grade"))
    latest_overall: Mapped[int | None]
    latest_flagged: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    exemplar_by: Mapped[str | None] = mapped_column(String(40))
    exemplar_note: Mapped[str | None] = mapped_column(Text)
    tokens_in: Mapped[int] = mapped_column(default=0, server_default="0")
    tokens_out: Mapped[int] = mapped_column(default=0, server_default="0")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    messages: Mapped[list[Message]] = relationship(
        back_populates="session", order_by="Message.seq", cascade="all, delete-orphan"
    )
    grades: Mapped[list[Grade]] = relationship(back_populates="session", order_by="Grade.id",
                                               foreign_keys="Grade.session_id")
    user: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_sessions_trainee_status", "trainee", "status", "started_at"),)


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("practice_sessions.id", ondelete="CASCADE"))
    seq: Mapped[int]
    role: Mapped[str] = mapped_column(String(10))
    content: Mapped[str] = mapped_column(Text)
    frustration: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[PracticeSession] = relationship(back_populates="messages")

    __table_args__ = (UniqueConstraint("session_id", "seq", name="uq_messages_session_seq"),)


class Grade(Base):
    """One grading of a session. Append-only: a regrade adds a row, nothing is updated."""

    __tablename__ = "grades"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("practice_sessions.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rubric_version: Mapped[str] = mapped_column(String(32))
    grader_version: Mapped[str] = mapped_column(String(20))
    judge_model: Mapped[str | None] = mapped_column(String(120))
    judge_status: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    overall: Mapped[int]
    passed: Mapped[bool]
    flags_count: Mapped[int] = mapped_column(default=0, server_default="0")
    report_json: Mapped[str] = mapped_column(Text)
    judge_raw: Mapped[str | None] = mapped_column(Text)

    session: Mapped[PracticeSession] = relationship(back_populates="grades", foreign_keys=[session_id])

    __table_args__ = (Index("ix_grades_session_created", "session_id", "created_at"),)


class GradeOverride(Base):
    """A trainer's correction of one criterion of one grade. Append-only; the grade itself is never changed."""

    __tablename__ = "grade_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id", ondelete="RESTRICT"), index=True)
    criterion_id: Mapped[str] = mapped_column(String(40))
    level: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    by_username: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TurnComment(Base):
    """A trainer's comment on one turn of a transcript (the trainee sees it on their report)."""

    __tablename__ = "turn_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("practice_sessions.id", ondelete="CASCADE"), index=True)
    turn: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    by_username: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
