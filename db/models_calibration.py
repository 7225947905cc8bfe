"""Storage for earning trust in the grader: rubric versions and the shared draft, trainers' judgements of single
criteria, and trainees' disputes.

``RubricVersion`` rows are append-only (the file ``grading/rubric.yaml`` is recorded as version 1, as persona files
are); grades record the rubric version they were graded with. A ``Judgement`` is one trainer's level for one
criterion of one graded chat, beside the level the grader gave (an override, a confirmation, a certification
review or a decided dispute): agreement per criterion is computed from the newest judgement of each chat
(:mod:`grading.agreement`). A ``Dispute`` is a trainee's challenge of one criterion; at most one is open per chat and
criterion (a partial unique index, on both databases).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow


class RubricVersion(Base):
    """A published rubric. Append-only; the newest grades new chats, campaigns pin theirs when they open."""

    __tablename__ = "rubric_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    yaml_text: Mapped[str] = mapped_column(Text)
    #: ``grading.rubric.rubric_hash`` of the rubric as published (its ``version`` set to ``version``).
    content_hash: Mapped[str] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(String(10))  # file | editor
    note: Mapped[str | None] = mapped_column(Text)
    by_username: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RubricDraft(Base):
    """The rubric being edited (one shared draft, like a persona's): tested before it is published."""

    __tablename__ = "rubric_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    yaml_text: Mapped[str] = mapped_column(Text)
    based_on: Mapped[int]
    by_username: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Judgement(Base):
    """A trainer's level for one criterion of one graded chat, with the grader's level beside it. Append-only."""

    __tablename__ = "criterion_judgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("practice_sessions.id", ondelete="RESTRICT"))
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id", ondelete="RESTRICT"))
    criterion_id: Mapped[str] = mapped_column(String(40))
    rubric_number: Mapped[int]
    #: The grader's level (None: it found the criterion not applicable); ``level`` is the trainer's.
    grader_level: Mapped[int | None]
    level: Mapped[int]
    source: Mapped[str] = mapped_column(String(10))  # override | confirm | review | dispute
    by_username: Mapped[str] = mapped_column(String(40))
    #: The override this judgement records (source ``override``): at most one judgement per override.
    override_id: Mapped[int | None] = mapped_column(ForeignKey("grade_overrides.id", ondelete="RESTRICT"),
                                                    unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_judgements_rubric_criterion", "rubric_number", "criterion_id", "session_id", "id"),)


class Dispute(Base):
    """A trainee's challenge of one criterion of their chat's grade, and a trainer's decision on it."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("practice_sessions.id", ondelete="RESTRICT"))
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id", ondelete="RESTRICT"))
    criterion_id: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    by_username: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | upheld | rejected
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    #: The level a trainer gave when upholding it (stored as an override too).
    decided_level: Mapped[int | None]
    decided_at: Mapped[datetime | None]
    #: The level the trainee asked for (None: a dispute from before they were asked).
    requested_level: Mapped[int | None] = mapped_column(default=None)
    #: When the trainee opened the chat's report after the decision (None: not seen yet, or still open).
    decision_seen_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_disputes_session", "session_id", "id"),
        Index("uq_disputes_open", "session_id", "criterion_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )
