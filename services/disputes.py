"""Trainees dispute one criterion of their chat's grade, saying which level they think is right; trainers uphold
(an override, with the reason) or reject (with a reason). One open dispute per chat and criterion; none while a
certification attempt runs or waits for its result, and none after ``dispute_days`` from the grade (a certification
chat: from the attempt's end). Every step is audited, and a decided dispute is a trainer's judgement of the grader
(see :mod:`services.calibration`).

Trainers find open disputes on the Review page (certification chats' also under Certification review) and are told
how many wait; the trainee is told of each decision until they open the chat's report, as with trainer comments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import PracticeSession, utcnow
from db.models_calibration import Dispute
from db.repositories import UnitOfWork, Work
from grading.rubric import MAX_LEVEL
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
    #: The level the trainee asked for (None: a dispute from before trainees were asked).
    requested_level: int | None = None
    #: The chat's customer, by name.
    persona: str = ""
    #: The chat is part of a certification attempt.
    certification: bool = False

    @property
    def uphold_level(self) -> int:
        """The level a trainer's form offers when upholding: the one the trainee asked for (without one, the level
        above the one standing)."""
        if self.requested_level is not None:
            return self.requested_level
        return min(MAX_LEVEL, (self.level_now or 0) + 1)

    @property
    def decision(self) -> str:
        """The decision in a few words, for a notice: "upheld (now 2/3)" or "rejected"."""
        return f"upheld (now {self.decided_level}/{MAX_LEVEL})" if self.status == "upheld" else self.status

    @property
    def outcome(self) -> str:
        """One sentence for the trainee's report."""
        if self.status == "open":
            return f"Your dispute is waiting for a trainer (opened {self.created_at:%Y-%m-%d})."
        if self.status == "upheld":
            return (f"Upheld by {self.decided_by}: the level is now {self.decided_level}/3. "
                    f"{self.decision_reason or ''}").strip()
        return f"Rejected by {self.decided_by}: {self.decision_reason or ''}".strip()


@dataclass(frozen=True)
class DecidedDisputes:
    """Decisions on one of a trainee's chats that the trainee has not seen yet."""

    session_id: int
    persona_name: str
    decided: tuple[DisputeView, ...]

    @property
    def notice(self) -> str:
        count = len(self.decided)
        which = "your dispute" if count == 1 else f"{count} of your disputes"
        what = "; ".join(f"{d.criterion} {d.decision}" for d in self.decided)
        return f"A trainer decided {which} on chat #{self.session_id} ({self.persona_name}): {what}."


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

    def _view(self, uow: UnitOfWork, row: Dispute, chat: PracticeSession | None = None) -> DisputeView:
        grade = uow.grades.latest(row.session_id)
        level_now, name = None, row.criterion_id
        if grade is not None:
            graded = decided_criterion(uow.grades, grade, row.criterion_id)
            if graded is not None:
                level_now, name = graded.level, graded.name
        chat = chat or uow.sessions.get(row.session_id)
        return DisputeView(row.id, row.session_id, row.by_username, row.criterion_id, name, row.reason, row.status,
                           row.created_at, row.decided_by, row.decision_reason, row.decided_level, row.decided_at,
                           level_now, row.requested_level, self._persona(chat.persona_slug) if chat else "",
                           chat is not None and chat.attempt_id is not None)

    def _persona(self, slug: str) -> str:
        persona = self.grading.catalog.personas.get(slug)
        return persona.name if persona else slug

    def _window_start(self, uow: UnitOfWork, chat: PracticeSession, graded_at: datetime) -> datetime:
        """When the trainee could first see the grade: a certification chat's once its attempt's result is out."""
        if chat.attempt_id is None:
            return graded_at
        attempt = uow.campaigns.attempt(chat.attempt_id)
        if attempt is None or attempt.status == "active" or attempt.outcome not in ("passed", "failed"):
            raise PracticeError("This chat is part of a certification attempt: you can dispute it once the attempt's "
                                "result is out.")
        return attempt.ended_at or graded_at

    def open(self, actor: Actor, session_id: int, criterion_id: str, reason: str, level: int | None = None
             ) -> DisputeView:
        """The chat's trainee disputes one criterion of its newest grade, asking for ``level`` (0-3)."""
        reason = _reason(reason)
        if level is not None and level not in range(MAX_LEVEL + 1):
            raise PracticeError("Choose the level you think is right: 0, 1, 2 or 3.")
        with self.work() as uow:
            chat = uow.sessions.get(session_id)
            if chat is None or actor.id is None or chat.user_id != actor.id:
                raise AccessDenied(f"No chat with id {session_id} of yours.")
            grade = uow.grades.latest(session_id)
            if grade is None:
                raise PracticeError("This chat has no grade to dispute yet.")
            graded = decided_criterion(uow.grades, grade, criterion_id)
            if graded is None:
                raise PracticeError(f"Unknown criterion '{criterion_id}'.")
            if level is not None and level == graded.level:
                raise PracticeError(f"This criterion is already {level}/{MAX_LEVEL}: choose the level you think is "
                                    "right.")
            start = self._window_start(uow, chat, grade.created_at)
            days = self.settings.dispute_days
            if utcnow() > start + timedelta(days=days):
                raise PracticeError(f"Grades can be disputed for {days} days; this one is from {start:%Y-%m-%d}.")
            if uow.calibration.open_dispute(session_id, criterion_id) is not None:
                raise PracticeError("You already have an open dispute on this criterion of this chat.")
            try:
                row = uow.commit(lambda: uow.calibration.add_dispute(
                    session_id=session_id, grade_id=grade.id, criterion_id=criterion_id, reason=reason,
                    by_user_id=actor.id or 0, by_username=actor.username, requested_level=level))
            except IntegrityError:  # the same dispute sent twice at once (the partial unique index)
                raise PracticeError("You already have an open dispute on this criterion of this chat.") from None
            return self._view(uow, row, chat)

    def for_session(self, actor: Actor, session_id: int) -> list[DisputeView]:
        """The chat's disputes, oldest first: its trainee and the staff who may read it."""
        with self.work() as uow:
            chat = uow.sessions.get(session_id)
            require(chat, session_id, chat is not None and can_read(actor, chat, self.settings))
            return [self._view(uow, d, chat) for d in uow.calibration.disputes_of_session(session_id)]

    def _waiting(self, uow: UnitOfWork, actor: Actor) -> list[tuple[Dispute, PracticeSession]]:
        """Open disputes the actor may decide (on chats they may read, not their own), oldest first."""
        require_permission(actor, Permission.DECIDE_DISPUTES)
        out = []
        for d in uow.calibration.open_disputes():
            chat = uow.sessions.get(d.session_id)
            if chat is not None and can_read(actor, chat, self.settings) and chat.user_id != actor.id:
                out.append((d, chat))
        return out

    def queue(self, actor: Actor, *, certification: bool | None = None) -> list[DisputeView]:
        """Open disputes on chats the actor may read, oldest first (trainers and admins): all of them, or only
        those on certification chats (``certification=True``) or on practice chats (``False``)."""
        with self.work() as uow:
            return [self._view(uow, d, chat) for d, chat in self._waiting(uow, actor)
                    if certification is None or (chat.attempt_id is not None) == certification]

    def open_count(self, actor: Actor) -> int:
        """How many open disputes wait for the actor (the sidebar's notice; trainers and admins)."""
        with self.work() as uow:
            return len(self._waiting(uow, actor))

    def new_decisions(self, actor: Actor) -> list[DecidedDisputes]:
        """Decisions on the actor's own disputes they have not seen yet, newest chat first (a read)."""
        if actor.id is None:
            return []
        with self.work() as uow:
            rows = uow.calibration.unseen_decisions(actor.id)
            views = [self._view(uow, d) for d in rows]
        return [DecidedDisputes(session_id, group[0].persona, tuple(group))
                for session_id, group in ((k, list(g)) for k, g in groupby(views, key=lambda v: v.session_id))]

    def mark_decisions_seen(self, actor: Actor, session_id: int) -> DecidedDisputes | None:
        """The chat's trainee has opened its report: its decided disputes are no longer new. Returns those that were
        (None: none).

        Anyone else reading the report (a trainer, an admin) changes nothing.
        """
        with self.work() as uow:
            row = uow.sessions.get(session_id)
            chat = require(row, session_id, row is not None and can_read(actor, row, self.settings))
            if actor.id is None or actor.id != chat.user_id:
                return None
            rows = uow.commit(lambda: uow.calibration.mark_decisions_seen(session_id))
            views = tuple(self._view(uow, d, chat) for d in rows)
            return DecidedDisputes(session_id, self._persona(chat.persona_slug), views) if views else None

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
            return self._view(uow, row, chat)
