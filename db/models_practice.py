"""Storage for the practice aids: the hints a trainee asked for during a practice chat.

A ``Hint`` is shown once and kept: after which message it was asked for (``after_seq``, the number of messages the
chat had), its kind (``hints.HintKind``), the words shown, the workshop passage it names and, when a model phrased
it, which one. The report lists them and the trainee's progress marks chats that used any. Branches of a chat are
columns of ``PracticeSession`` (``parent_id``, ``root_id``, ``branch_seq``).

A ``Rush`` groups the two or three chats a trainee runs side by side in rush hour (``PracticeSession.rush_id``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow


class Hint(Base):
    """One hint shown to a trainee. Append-only."""

    __tablename__ = "hints"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("practice_sessions.id", ondelete="CASCADE"), index=True)
    after_seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    phrased_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("session_id", "after_seq", name="uq_hints_session_after"),)



class Rush(Base):
    """Chats run at once: whose, at which difficulty, how long a customer waits unanswered before writing again (the
    setting when it started), and when the trainee ended it (``None``: running)."""

    __tablename__ = "rushes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    trainee: Mapped[str] = mapped_column(String(80))
    difficulty: Mapped[str] = mapped_column(String(10))
    patience_seconds: Mapped[float]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
