"""Rush hours: the chats a trainee runs side by side. Adds, changes and flushes; never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.models import PracticeSession
from db.models_practice import Rush


class RushRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def create(self, *, user_id: int | None, trainee: str, difficulty: str, patience_seconds: float) -> Rush:
        row = Rush(user_id=user_id, trainee=trainee, difficulty=difficulty, patience_seconds=patience_seconds)
        self.db.add(row)
        self.db.flush()
        return row

    def get(self, rush_id: int) -> Rush | None:
        return self.db.get(Rush, rush_id)

    def chats(self, rush_id: int) -> Sequence[PracticeSession]:
        """The rush's chats in the order they were started, with their messages."""
        return self.db.scalars(
            select(PracticeSession).where(PracticeSession.rush_id == rush_id).order_by(PracticeSession.id)
            .options(selectinload(PracticeSession.messages))
        ).all()

    def end(self, row: Rush, at: datetime) -> None:
        row.ended_at = row.ended_at or at
        self.db.flush()

    def running(self, user_id: int, limit: int = 5) -> Sequence[Rush]:
        """The user's rush hours not ended yet, newest first."""
        return self.db.scalars(
            select(Rush).where(Rush.user_id == user_id, Rush.ended_at.is_(None)).order_by(Rush.id.desc()).limit(limit)
        ).all()
