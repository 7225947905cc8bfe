"""Storage design.

A ``PracticeSession`` is one chat between a trainee (``User``, in a ``Team``) and a persona: it records the persona
slug and version hash, difficulty, seed, backend and model it ran on, and the customer's state as JSON after the
last committed turn (so an unfinished chat resumes exactly).  Its ``Message`` rows are numbered per session
(``seq`` unique per session) and each is committed the moment it is sent, so a crash never loses what was typed.
``Grade`` rows are append-only: each stores the typed ``grading.report.GradeReport`` as JSON with the rubric
version hash, grader version, judge model and the judge's raw output; regrading adds a row.  Trainers' corrections
are append-only ``GradeOverride`` rows applied in code (the score of record); the session keeps the decided overall
and its newest grade's id (``latest_overall``, ``latest_grade_id``) for the browser's filters, updated in the same
transaction.  Personas are versioned (``PersonaVersion``, append-only; one ``PersonaDraft`` per slug).  A
certification ``Campaign`` freezes its scenarios' persona versions and the rubric text; an ``Attempt`` holds its
chats, outcome and reviews (``AttemptReview``); a pass issues a ``Certificate``.  Grades, overrides, role changes,
campaigns, attempts, reviews and certificates are chained in the ``AuditEntry`` hash log.  ``LoginSession`` and
``RateLimit`` hold browser logins and the public checks' counters.  Migrations (``db/migrations``) run under a lock.
The queries, and the JSON columns' encoding, live in ``db.repositories`` (one repository per aggregate); services
commit once per use case through its unit of work.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
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
    #: The name of a row of ``teams`` (its canonical spelling), kept as text so filters stay one column.
    team: Mapped[str | None] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The person's name as printed on certificates (the username when empty).
    full_name: Mapped[str | None] = mapped_column(String(80))
    #: A disabled account cannot log in and is logged out at its next page load; nothing of it is deleted.
    disabled: Mapped[bool] = mapped_column(default=False, server_default=sa_false())


class Team(Base):
    """A team that accounts belong to. ``name_key`` (the name case-folded) is unique, so "Team North" and
    "team north" cannot both exist; ``users.team`` holds ``name``."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    name_key: Mapped[str] = mapped_column(String(60), unique=True)
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
    #: Set for the chats of a certification attempt (``mode`` is then ``certification``).
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id", ondelete="RESTRICT", use_alter=True,
                                                              name="fk_sessions_attempt"), index=True)
    #: A branch: the chat it was taken from, the family's first chat, and the position of the replaced message.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("practice_sessions.id", ondelete="RESTRICT",
                                                             name="fk_sessions_parent"))
    root_id: Mapped[int | None] = mapped_column(index=True)
    branch_seq: Mapped[int | None]
    #: A chat of a rush hour (``db.models_practice.Rush``), run side by side with the rush's others.
    rush_id: Mapped[int | None] = mapped_column(ForeignKey("rushes.id", ondelete="RESTRICT", use_alter=True,
                                                           name="fk_sessions_rush"), index=True)

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
    #: The customer's state after this message (customer messages; ``None`` before revision 0017).
    state_json: Mapped[str | None] = mapped_column(Text)
    #: Which customer spoke, in a chat with two (their name); ``None`` otherwise.
    speaker: Mapped[str | None] = mapped_column(String(80))
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
    #: When the chat's trainee first opened the report after this comment (``None``: still new to them).
    seen_at: Mapped[datetime | None] = mapped_column(default=None)


class PersonaVersion(Base):
    """One published version of a persona. Append-only: an edit publishes a new version.

    Sessions record the ``content_hash`` of the version they ran on, so an old
    session resumes, and is graded, against the persona it started with.
    ``source`` says where it came from: a file in ``personas/``, the editor, or an import.
    """

    __tablename__ = "persona_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]
    yaml_text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    by_username: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("slug", "version", name="uq_persona_versions_slug_version"),
        Index("ix_persona_versions_slug_hash", "slug", "content_hash"),
    )


class PersonaDraft(Base):
    """Unpublished editor work on one persona, kept so a reload loses nothing."""

    __tablename__ = "persona_drafts"

    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    yaml_text: Mapped[str] = mapped_column(Text)
    by_username: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """One link of the tamper-evident hash chain (see :mod:`db.audit`). Rows are only ever appended.

    ``prev_hash`` is unique, so two writers that read the same chain end cannot both append: one retries.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int]
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (Index("ix_audit_subject", "subject_type", "subject_id", "id"),)


class Campaign(Base):
    """A certification campaign. Opening it freezes the persona versions and the rubric (text and hash)."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft | open | closed
    pass_mark: Mapped[int]
    #: JSON {criterion id: minimum average level 0-3}; empty for none.
    criterion_minimums: Mapped[str] = mapped_column(Text, default="{}")
    attempts_allowed: Mapped[int]
    time_limit_minutes: Mapped[int]
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    hide_aids: Mapped[bool] = mapped_column(default=True)
    #: None: every scenario, in order. N: N scenarios drawn from the pool, seeded per attempt.
    draw_count: Mapped[int | None]
    review_margin: Mapped[int] = mapped_column(default=5)
    rubric_version: Mapped[str | None] = mapped_column(String(32))
    rubric_yaml: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None]

    scenarios: Mapped[list[CampaignScenario]] = relationship(order_by="CampaignScenario.position",
                                                             cascade="all, delete-orphan")
    assignments: Mapped[list[CampaignAssignment]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (CheckConstraint("attempts_allowed >= 1", name="ck_campaigns_attempts"),
                      CheckConstraint("pass_mark between 0 and 100", name="ck_campaigns_pass_mark"))


class CampaignScenario(Base):
    __tablename__ = "campaign_scenarios"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    persona_slug: Mapped[str] = mapped_column(String(40))
    difficulty: Mapped[str] = mapped_column(String(10))
    #: The persona's content hash, frozen when the campaign opens.
    persona_version: Mapped[str | None] = mapped_column(String(32))


class CampaignAssignment(Base):
    """Who must take a campaign: one trainee (``user_id``) or a whole team (``team``)."""

    __tablename__ = "campaign_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team: Mapped[str | None] = mapped_column(String(60))


class Attempt(Base):
    """One try at a campaign. ``(campaign_id, user_id, number)`` is unique and ``number`` is at most the
    campaign's allowance (checked before insert), so two tabs starting at once cannot both get a try."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    number: Mapped[int]
    seed: Mapped[int]
    #: JSON list of campaign scenario ids, in the order this attempt takes them.
    plan: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)
    #: The browser session holding the attempt, and when it last checked in: another browser session of the
    #: same trainee takes it over within the reconnect grace (a reload); after it, the attempt is abandoned.
    holder: Mapped[str] = mapped_column(String(40))
    holder_seen_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | completed | abandoned | expired
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    #: pending (not graded yet) | review (awaiting a reviewer) | passed | failed
    outcome: Mapped[str] = mapped_column(String(10), default="pending")
    score: Mapped[int | None]
    deterministic_score: Mapped[int | None]
    judge_score: Mapped[int | None]
    rule: Mapped[str | None] = mapped_column(Text)
    review_reasons: Mapped[str | None] = mapped_column(Text)
    #: JSON: which criteria were trusted (and which not) when the outcome was decided.
    trust: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship()
    sessions: Mapped[list[PracticeSession]] = relationship(order_by="PracticeSession.id",
                                                           foreign_keys="PracticeSession.attempt_id")

    __table_args__ = (UniqueConstraint("campaign_id", "user_id", "number", name="uq_attempts_campaign_user_number"),
                      CheckConstraint("number >= 1", name="ck_attempts_number"),
                      Index("ix_attempts_campaign_outcome", "campaign_id", "outcome"))


class AttemptReview(Base):
    """A reviewer's decision on an attempt's outcome. Append-only; the newest decides."""

    __tablename__ = "attempt_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="RESTRICT"), index=True)
    outcome: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    by_username: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Certificate(Base):
    """Issued for a passed attempt; the code is what `python -m db verify-certificate` and the app check."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="RESTRICT"), unique=True)
    holder: Mapped[str] = mapped_column(String(80))
    campaign: Mapped[str] = mapped_column(String(120))
    score: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
