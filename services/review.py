"""The trainer's review workspace: browse transcripts with filters, and export them. Staff only, scoped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db import repository as repo
from db.export import export_csv, export_json
from db.models import PracticeSession, TurnComment
from services.access import can_read, require
from services.auth import AccessDenied, Actor
from services.catalog import LiveCatalog
from services.views import PracticeError
from settings import Settings

SORTS = ("newest", "oldest", "lowest score", "highest score")
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class ReviewFilters:
    trainee: str | None = None
    team: str | None = None
    personas: tuple[str, ...] = ()
    difficulty: str | None = None
    mode: str | None = None
    started_from: date | None = None
    started_to: date | None = None
    score_min: int | None = None
    score_max: int | None = None
    flagged: bool = False
    exemplars: bool = False
    sort: str = "newest"


@dataclass(frozen=True)
class ReviewRow:
    session_id: int
    trainee: str
    team: str | None
    persona: str
    difficulty: str
    mode: str
    started_at: datetime
    status: str
    overall: int | None
    passed: bool | None
    flags: int
    grade_status: str | None
    exemplar: bool = False


@dataclass
class ReviewPage:
    rows: list[ReviewRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    size: int = 50


class ReviewService:
    def __init__(self, settings: Settings, catalog: LiveCatalog, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.catalog = catalog
        self.sessions = sessions

    def _team_scope(self, actor: Actor, requested: str | None) -> tuple[bool, str | None]:
        """(anything visible, team filter). Outside a trainer's scope the answer is empty, never widened."""
        if actor.role not in ("trainer", "admin", "system"):
            raise AccessDenied("Only trainers and admins can review transcripts.")
        if actor.role == "trainer" and self.settings.trainer_scope == "team":
            if not actor.team or (requested and requested != actor.team):
                return False, None
            return True, actor.team
        return True, requested or None

    def browse(self, actor: Actor, filters: ReviewFilters, *, page: int = 1, size: int = 50) -> ReviewPage:
        visible, team = self._team_scope(actor, filters.team)
        if filters.sort not in SORTS:
            raise ValueError(f"unknown sort '{filters.sort}'")
        size = max(1, min(size, MAX_PAGE_SIZE))
        page = max(1, page)
        if not visible:
            return ReviewPage([], 0, page, size)
        with self.sessions() as db:
            rows, total = repo.browse_sessions(
                db, team=team, trainee=filters.trainee or None, personas=filters.personas,
                difficulty=filters.difficulty, mode=filters.mode,
                started_from=datetime.combine(filters.started_from, time()) if filters.started_from else None,
                started_to=(datetime.combine(filters.started_to, time()) + timedelta(days=1)
                            if filters.started_to else None),
                score_min=filters.score_min, score_max=filters.score_max, flagged=filters.flagged,
                exemplars=filters.exemplars, sort=filters.sort, offset=(page - 1) * size, limit=size,
            )
            out = [
                ReviewRow(s.id, s.trainee, u.team if u else None, s.persona_slug, s.difficulty, s.mode, s.started_at,
                          s.status, g.overall if g else None, g.passed if g else None, g.flags_count if g else 0,
                          g.status if g else None, s.exemplar_by is not None)
                for s, u, g in rows
            ]
        return ReviewPage(out, total, page, size)

    def export(self, actor: Actor, session_ids: list[int], fmt: str) -> str:
        """Selected transcripts and grades as CSV or JSON; ids the actor may not read are refused."""
        self._team_scope(actor, None)
        with self.sessions() as db:
            for session_id in session_ids:
                row = repo.get_session(db, session_id)
                if row is None or not can_read(actor, row, self.settings):
                    raise AccessDenied(f"No chat with id {session_id}.")
            return export_json(db, session_ids) if fmt == "json" else export_csv(db, session_ids)

    def _readable(self, db: Session, actor: Actor, session_id: int) -> PracticeSession:
        row = repo.get_session(db, session_id)
        return require(row, session_id, row is not None and can_read(actor, row, self.settings))

    def comment(self, actor: Actor, session_id: int, *, turn: int, body: str) -> None:
        """A trainer comments on one turn (1-based position in the transcript)."""
        self._team_scope(actor, None)
        body = body.strip()
        if not body:
            raise PracticeError("Write a comment first.")
        if len(body) > 4000:
            raise PracticeError("Keep comments under 4,000 characters.")
        with self.sessions() as db:
            row = self._readable(db, actor, session_id)
            if not 1 <= turn <= len(row.messages):
                raise PracticeError(f"This transcript has turns 1 to {len(row.messages)}.")
            db.add(TurnComment(session_id=session_id, turn=turn, body=body, by_user_id=actor.id,
                               by_username=actor.username))
            db.commit()

    def comments(self, actor: Actor, session_id: int) -> dict[int, list[tuple[str, str]]]:
        """Comments by turn: (who, text). Anyone who may read the transcript (its trainee included) sees them."""
        with self.sessions() as db:
            self._readable(db, actor, session_id)
            rows = db.scalars(select(TurnComment).where(TurnComment.session_id == session_id)
                              .order_by(TurnComment.id)).all()
            out: dict[int, list[tuple[str, str]]] = {}
            for c in rows:
                out.setdefault(c.turn, []).append((c.by_username, c.body))
            return out

    def exemplar_ids(self, actor: Actor, session_ids: list[int]) -> set[int]:
        with self.sessions() as db:
            rows = db.scalars(select(PracticeSession).where(PracticeSession.id.in_(session_ids),
                                                            PracticeSession.exemplar_by.is_not(None))).all()
            return {r.id for r in rows if can_read(actor, r, self.settings)}

    def mark_exemplar(self, actor: Actor, session_id: int, *, exemplar: bool, note: str = "") -> None:
        self._team_scope(actor, None)
        with self.sessions() as db:
            row = self._readable(db, actor, session_id)
            row.exemplar_by = actor.username if exemplar else None
            row.exemplar_note = note.strip() or None if exemplar else None
            db.commit()
