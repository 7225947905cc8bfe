"""Trainees dispute one criterion of their chat's grade; trainers uphold (an override, with the reason) or reject
(with a reason). One open dispute per chat and criterion; none while a certification attempt runs or waits for its
result, and none after ``dispute_days`` from the grade (a certification chat: from the attempt's end). Every step is
audited, and a decided dispute is a trainer's judgement of the grader (see :mod:`services.calibration`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import PracticeSession, utcnow
from db.models_calibration import Dispute
from db.repositories import UnitOfWork, Work
from services.access import can_read, require
from services.auth import AccessDenied, Actor
from services.calibration import record_judgement
from services.grading import GradingService
from services.permissions import Permission
from services.permissions import require as require_permission
from services.scores import decided_criterion
from services.views import PracticeError
from settings import Settings

MIN_REASON = 5
MAX_REASON = 2000


@dataclass(frozen=True)
class DisputeView:
    id: int
    session_id: int
    trainee: str
    criterion_id: str
    criterion: str
    reason: str
    status: str
    created_at: datetime
    decided_by: str | None = None
    decision_reason: str | None = None
    decided_level: int | None = None
    decided_at: datetime | None = None
    #: The criterion's level as it stands now (None: not applicable).
    level_now: int | None = None

    @property
    def outcome(self) -> str:
        """One sentence for the trainee's report."""
        if self.status == "open":
            return f"Your dispute is waiting for a trainer (opened {self.created_at:%Y-%m-%d})."
        if self.status == "upheld":
            return (f"Upheld by {self.decided_by}: the level is now {self.decided_level}/3. "
                    f"{self.decision_reason or ''}").strip()
        return f"Rejected by {self.decided_by}: {self.decision_reason or ''}".strip()


def _reason(text: str) -> str:
    text = text.strip()
    if len(text) < MIN_REASON:
        raise PracticeError(f"Give a reason (at least {MIN_REASON} characters).")
    if len(text) > MAX_REASON:
        raise PracticeError(f"Keep the reason under {MAX_REASON:,} characters.")
    return text


class DisputeService:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], grading: GradingService) -> None:
        self.settings = settings
        self.sessions = sessions
        self.work = Work(sessions)
        self.grading = grading

    def _view(self, uow: UnitOfWork, row: Dispute) -> DisputeView:
        grade = uow.grades.latest(row.session_id)
        level_now, name = None, row.criterion_id
        if grade is not None:
            graded = decided_criterion(uow.grades, grade, row.criterion_id)
            if graded is not None:
                level_now, name = graded.level, graded.name
        return DisputeView(row.id, row.session_id, row.by_username, row.criterion_id, name, row.reason, row.status,
                           row.created_at, row.decided_by, row.decision_reason, row.decided_level, row.decided_at,
                           level_now)

    def _window_start(self, uow: UnitOfWork, chat: PracticeSession, graded_at: datetime) -> datetime:
        """When the trainee could first see the grade: a certification chat's once its attempt's result is out."""
        if chat.attempt_id is None:
            return graded_at
        attempt = uow.campaigns.attempt(chat.attempt_id)
        if attempt is None or attempt.status == "active" or attempt.outcome not in ("passed", "failed"):
            raise PracticeError("This chat is part of a certification attempt: you can dispute it once the attempt's "
                                "result is out.")
        return attempt.ended_at or graded_at

    def open(self, actor: Actor, session_id: int, criterion_id: str, reason: str) -> DisputeView:
        """The chat's trainee disputes one criterion of its newest grade."""
        reason = _reason(reason)
        with self.work() as uow:
            chat = uow.sessions.get(session_id)
            if chat is None or actor.id is None or chat.user_id != actor.id:
                raise AccessDenied(f"No chat with id {session_id} of yours.")
            grade = uow.grades.latest(session_id)
            if grade is None:
                raise PracticeError("This chat has no grade to dispute yet.")
            if decided_criterion(uow.grades, grade, criterion_id) is None:
                raise PracticeError(f"Unknown criterion '{criterion_id}'.")
            start = self._window_start(uow, chat, grade.created_at)
            days = self.settings.dispute_days
            if utcnow() > start + timedelta(days=days):
                raise PracticeError(f"Grades can be disputed for {days} days; this one is from {start:%Y-%m-%d}.")
            if uow.calibration.open_dispute(session_id, criterion_id) is not None:
                raise PracticeError("You already have an open dispute on this criterion of this chat.")
            try:
                row = uow.commit(lambda: uow.calibration.add_dispute(
                    session_id=session_id, grade_id=grade.id, criterion_id=criterion_id, reason=reason,
                    by_user_id=actor.id or 0, by_username=actor.username))
            except IntegrityError:  # the same dispute sent twice at once (the partial unique index)
                raise PracticeError("You already have an open dispute on this criterion of this chat.") from None
            return self._view(uow, row)

    def for_session(self, actor: Actor, session_id: int) -> list[DisputeView]:
        """The chat's disputes, oldest first: its trainee and the staff who may read it."""
        with self.work() as uow:
            chat = uow.sessions.get(session_id)
            require(chat, session_id, chat is not None and can_read(actor, chat, self.settings))
            return [self._view(uow, d) for d in uow.calibration.disputes_of_session(session_id)]

    def queue(self, actor: Actor) -> list[DisputeView]:
        """Open disputes on chats the actor may read, oldest first (trainers and admins)."""
        require_permission(actor, Permission.DECIDE_DISPUTES)
        with self.work() as uow:
            out = []
            for d in uow.calibration.open_disputes():
                chat = uow.sessions.get(d.session_id)
                if chat is not None and can_read(actor, chat, self.settings) and chat.user_id != actor.id:
                    out.append(self._view(uow, d))
            return out

    def decide(self, actor: Actor, dispute_id: int, *, uphold: bool, reason: str, level: int | None = None
               ) -> DisputeView:
        """Uphold (the criterion's level becomes ``level``: an override with the reason) or reject (the level
        stands, confirmed), with a reason the trainee sees."""
        require_permission(actor, Permission.DECIDE_DISPUTES)
        reason = _reason(reason)
        if uphold and level not in (0, 1, 2, 3):
            raise PracticeError("Upholding a dispute sets the criterion's level: choose 0, 1, 2 or 3.")
        with self.work() as uow:
            row = uow.calibration.dispute(dispute_id)
            chat = uow.sessions.get(row.session_id) if row is not None else None
            if row is None or chat is None or not can_read(actor, chat, self.settings):
                raise AccessDenied(f"No dispute with id {dispute_id}.")
            if chat.user_id == actor.id:
                raise AccessDenied("Nobody decides a dispute about their own chat.")
            grade = uow.grades.latest(row.session_id)
            assert grade is not None  # a dispute is opened on a graded chat, and grades are never deleted

            def change() -> Dispute:
                if row.status != "open":
                    raise PracticeError(f"This dispute was already {row.status} by {row.decided_by}.")
                if uphold:
                    assert level is not None
                    self.grading.override_in(uow, grade.id, row.criterion_id, level,
                                             f"Dispute #{row.id} upheld: {reason}", actor, source="dispute")
                else:
                    stands = decided_criterion(uow.grades, grade, row.criterion_id)
                    if stands is not None and stands.level is not None:
                        record_judgement(uow, grade, row.criterion_id, stands.level, source="dispute",
                                         by=actor.username)
                return uow.calibration.decide_dispute(row, upheld=uphold, level=level if uphold else None,
                                                      reason=reason, by=actor.username)

            uow.commit(change)
            return self._view(uow, row)
