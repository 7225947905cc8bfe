"""Grading use cases: grade a stored session (append-only), grade a transcript, report, history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

import signals
from db.models import PracticeSession
from db.repositories import UnitOfWork, Work
from db.repositories.sessions import state_of
from grading.context import grading_context, make_judge
from grading.grader import Graded, grade
from grading.judge import Judge
from grading.report import GradeReport
from grading.rubric import Rubric
from grading.transcript import GradingContext, Line, Transcript
from llm.models import ModelUnavailable
from services.access import can_read, can_see_trainee, require
from services.auth import AccessDenied, Actor
from services.calibration import record_judgement
from services.catalog import LiveCatalog
from services.permissions import Permission, may
from services.permissions import require as require_permission
from services.rubrics import LiveRubric
from services.scores import decided_overall, decided_report, decisions, score_label
from services.views import PracticeError
from settings import Settings
from signals import LayerStatus


def accepted_by(row: PracticeSession, names: tuple[str, ...]) -> tuple[str, ...] | None:
    """In a dispute (``names``: both customers'), those who accepted an offer and did not walk away; ``None`` with
    one customer."""
    if not names:
        return None
    parties = state_of(row).parties
    if len(parties) != len(names):
        return None
    return tuple(n for n, s in zip(names, parties, strict=True)
                 if s.offers_accepted and s.ended_reason != "walked_away")


@dataclass(frozen=True)
class StoredGrade:
    id: int
    session_id: int
    created_at: datetime
    #: The score of record: the stored report with trainers' overrides applied.
    report: GradeReport
    judge_raw: str | None

    def report_contract(self) -> dict[str, Any]:
        """The stored report in the ``python -m grading --json`` shape, with the session and grade ids."""
        return self.report.contract(session_id=self.session_id, grade_id=self.id)


@dataclass(frozen=True)
class HistoryItem:
    session_id: int
    persona_slug: str
    persona_name: str
    difficulty: str
    started_at: datetime
    status: str
    ended_reason: str | None
    overall: int | None
    passed: bool | None
    grade_status: str | None
    #: The score is a trainer's decision (an override), not the grader's.
    overridden: bool = False
    mode: str = "practice"
    #: Hints the trainee asked for in this chat (a chat with hints is marked as such in their progress).
    hints: int = 0
    #: The chat this one was branched from ("try a different reply from here").
    branch_of: int | None = None

    @property
    def score_label(self) -> str:
        return score_label(self.overall, self.overridden)


class GradingService:
    def __init__(self, settings: Settings, catalog: LiveCatalog, sessions: sessionmaker[Session],
                 rubric: LiveRubric) -> None:
        self.settings = settings
        self.catalog = catalog
        self.sessions = sessions
        self.work = Work(sessions)
        self.rubric = rubric

    def signal_layer(self) -> LayerStatus:
        """Whether grades and the customer read messages by meaning, or by the regular-expression fallback."""
        return signals.status()

    def pass_mark(self) -> int:
        return self.rubric.current().rubric.pass_mark

    def context_for(self, persona: str, version: str | None = None) -> GradingContext:
        """Offer limits and language needs from the persona (the version given, else the newest).

        A free-text hint (not a known slug) gives what it can.
        """
        known = self.catalog.personas.get(persona)
        if known is not None and version is not None:
            known = self.catalog.pinned(persona, version)
        return grading_context(known, persona)

    def judge(self, mode: str | None = None, backend: str | None = None) -> Judge | None:
        try:
            return make_judge(self.settings, mode, backend)
        except ValueError as exc:
            raise PracticeError(str(exc)) from None
        except ModelUnavailable as exc:
            raise PracticeError(f"The LLM judge cannot run: {exc}.") from None

    def grade_transcript(self, transcript: Transcript, *, judge: str | None = None,
                         backend: str | None = None, persona_version: str | None = None,
                         rubric: Rubric | None = None) -> Graded:
        return grade(transcript, self.context_for(transcript.persona, persona_version),
                     rubric=rubric or self.rubric.current().rubric, judge=self.judge(judge, backend))

    def grade_session(self, actor: Actor, session_id: int, *, judge: str | None = None,
                      backend: str | None = None, rubric: Rubric | None = None,
                      end_state_json: str | None = None) -> StoredGrade:
        """Grade a stored session and append the grade (a regrade adds a row): its trainee, or staff.

        ``rubric`` is a certification campaign's frozen rubric; the newest published version otherwise.
        ``end_state_json`` ends the chat in the same transaction as the grade is stored.
        The transcript is read in one unit of work and the grade stored in another: no transaction is held open
        while the grader (and a judge model) runs.
        """
        with self.work() as uow:
            transcript, version = self.gradable_in(uow, actor, session_id)
        graded = self.grade_transcript(transcript, judge=judge, backend=backend, persona_version=version,
                                       rubric=rubric)
        with self.work() as uow:
            return uow.commit(lambda: self.store_in(uow, session_id, graded, actor.username, end_state_json))

    def gradable_in(self, uow: UnitOfWork, actor: Actor, session_id: int) -> tuple[Transcript, str]:
        """The transcript to grade and its persona version, if ``actor`` may grade this chat now."""
        row = uow.sessions.get(session_id)
        row = require(row, session_id, row is not None and can_read(actor, row, self.settings))
        self._no_feedback_during_attempt(uow, actor, row)
        if not may(actor, Permission.OVERRIDE_GRADES) and uow.grades.latest(session_id) is not None:
            raise AccessDenied("Only a trainer can regrade a graded chat (a new grade would set aside any "
                               "corrections a trainer made to this one).")
        if not any(m.role == "agent" for m in row.messages):
            raise PracticeError("There is nothing to grade yet: the chat has no messages from you.")
        transcript = Transcript(row.persona_slug, tuple(Line(m.role, m.content, m.speaker)  # type: ignore[arg-type]
                                                      for m in row.messages),
                                accepted_by(row, self.context_for(row.persona_slug, row.persona_version).parties))
        return transcript, row.persona_version

    def grade_if_ended(self, session_id: int) -> StoredGrade | None:
        """Grade a practice chat the customer has just ended (resolved, walked away, out of turns or tokens), so
        trainers and analytics see it even if its trainee never opens the report. Chats of a certification
        attempt are left alone: they are graded when the attempt ends, with the campaign's frozen rubric."""
        with self.work() as uow:
            row = uow.sessions.get(session_id)
            if (row is None or row.status == "active" or row.attempt_id is not None
                    or row.latest_grade_id is not None or not any(m.role == "agent" for m in row.messages)):
                return None
        return self.grade_session(Actor.system(), session_id)

    @staticmethod
    def store_in(uow: UnitOfWork, session_id: int, graded: Graded, actor: str,
                 end_state_json: str | None = None) -> StoredGrade:
        """Append the grade in the caller's unit of work (which commits it)."""
        row = uow.grades.add(session_id=session_id, report=graded.report,
                             judge_raw=graded.judge.raw if graded.judge else None, actor=actor,
                             end_state_json=end_state_json)
        return StoredGrade(row.id, session_id, row.created_at, graded.report, row.judge_raw)

    @staticmethod
    def _no_feedback_during_attempt(uow: UnitOfWork, actor: Actor, row: PracticeSession) -> None:
        """A certification chat is graded, and its grade shown, only once its attempt has ended."""
        if row.attempt_id is None or actor.role == "system":
            return
        attempt = uow.campaigns.attempt(row.attempt_id)
        if attempt is not None and attempt.status == "active":
            raise PracticeError("This chat is part of a certification attempt: its result comes when the attempt "
                                "ends.")

    def latest(self, actor: Actor, session_id: int) -> StoredGrade | None:
        """The newest grade, with trainers' overrides applied (the stored grade itself is never changed)."""
        with self.work() as uow:
            session = uow.sessions.get(session_id)
            session = require(session, session_id, session is not None and can_read(actor, session, self.settings))
            self._no_feedback_during_attempt(uow, actor, session)
            row = uow.grades.latest(session_id)
            if row is None:
                return None
            report = decided_report(row, uow.grades.overrides(row.id))
            return StoredGrade(row.id, session_id, row.created_at, report, row.judge_raw)

    def override(self, actor: Actor, session_id: int, *, criterion_id: str, level: int, reason: str) -> StoredGrade:
        """A trainer corrects one criterion of the newest grade, with a reason (stored as a new row)."""
        require_permission(actor, Permission.OVERRIDE_GRADES)
        reason = reason.strip()
        if not reason:
            raise PracticeError("Give a reason for the override.")
        if len(reason) > 2000:
            raise PracticeError("Keep the reason under 2,000 characters.")
        if level not in (0, 1, 2, 3):
            raise PracticeError("A level is 0, 1, 2 or 3.")
        current = self.latest(actor, session_id)
        if current is None:
            raise PracticeError("This chat has no grade to override yet.")
        if criterion_id not in {c.id for c in current.report.criteria}:
            raise PracticeError(f"Unknown criterion '{criterion_id}'.")
        with self.work() as uow:
            uow.commit(lambda: self.override_in(uow, current.id, criterion_id, level, reason, actor))
        result = self.latest(actor, session_id)
        assert result is not None
        return result

    @staticmethod
    def override_in(uow: UnitOfWork, grade_id: int, criterion_id: str, level: int, reason: str, actor: Actor,
                    source: str = "override") -> None:
        """Store an override and the trainer's judgement it is (in the caller's unit of work)."""
        row = uow.grades.add_override(grade_id=grade_id, criterion_id=criterion_id, level=level, reason=reason,
                                      by_user_id=actor.id, by_username=actor.username, rescore=decided_overall)
        grade = uow.grades.get(grade_id)
        assert grade is not None
        record_judgement(uow, grade, criterion_id, level, source=source, by=actor.username, override_id=row.id)

    def report_for(self, actor: Actor, session_id: int) -> StoredGrade:
        """The latest grade of an ended chat, grading it first if it has none yet."""
        existing = self.latest(actor, session_id)
        if existing is not None:
            return existing
        with self.work() as uow:
            row = uow.sessions.get(session_id)
            if row is not None and row.status == "active":
                raise PracticeError("This chat is still going: end it to see your report.")
        return self.grade_session(actor, session_id)

    def history(self, actor: Actor, trainee: str | None = None, limit: int = 100) -> list[HistoryItem]:
        """A trainee's chats (practice and certification, told apart by ``mode``) with their scores of record:
        your own, or (staff) a trainee in scope."""
        name = (trainee or actor.username).strip()
        with self.work() as uow:
            owner = uow.users.by_username(name)
            if not can_see_trainee(actor, name, owner.team if owner else None, self.settings):
                raise AccessDenied(f"No trainee '{name}' you can see.")
            rows = uow.sessions.trainee_history(trainee=name, limit=limit)
            decided = decisions(uow.grades, (g for _, g in rows))
            hints = uow.sessions.hint_counts([s.id for s, _ in rows])
            out = []
            for s, g in rows:
                persona = self.catalog.personas.get(s.persona_slug)
                d = decided.get(g.id) if g is not None else None
                out.append(HistoryItem(
                    s.id, s.persona_slug, persona.name if persona else s.persona_slug, s.difficulty, s.started_at,
                    s.status, s.ended_reason, d.overall if d else None, d.passed if d else None,
                    d.status if d else None, overridden=d.overridden if d else False, mode=s.mode,
                    hints=hints.get(s.id, 0), branch_of=s.parent_id,
                ))
            return out
