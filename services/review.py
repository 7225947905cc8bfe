"""The trainer's review workspace: browse transcripts with filters, and export them. Staff only, scoped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session, sessionmaker

from db.models import PracticeSession
from db.repositories import UnitOfWork, Work
from db.repositories.sessions import ORDERS
from services.access import can_read, require
from services.auth import AccessDenied, Actor
from services.catalog import LiveCatalog
from services.export import FORMATS
from services.export import export as export_sessions
from services.permissions import Permission
from services.permissions import require as require_permission
from services.scores import decisions, score_label
from services.views import PracticeError
from settings import Settings

SORTS = tuple(ORDERS)
#: The highest page number asked for (beyond it the database's integers overflow).
MAX_PAGE = 1_000_000
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
    #: The score is a trainer's decision (an override), not the grader's.
    overridden: bool = False

    @property
    def score_label(self) -> str:
        return score_label(self.overall, self.overridden)


@dataclass(frozen=True)
class FilterChoices:
    """What the filter dropdowns offer: the trainees and teams the acting user may see, sorted."""

    trainees: tuple[str, ...]
    teams: tuple[str, ...]


@dataclass
class ReviewPage:
    rows: list[ReviewRow] = field(default_factory=list)
    total: int = 0
    page: int = 1
    size: int = 50



@dataclass(frozen=True)
class NewComments:
    """Trainer comments a trainee has not seen yet, on one of their chats."""

    session_id: int
    persona_name: str
    count: int

    @property
    def notice(self) -> str:
        plural = "comment" if self.count == 1 else "comments"
        return f"{self.count} new {plural} from your trainer on chat #{self.session_id} ({self.persona_name})"


class ReviewService:
    def __init__(self, settings: Settings, catalog: LiveCatalog, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.catalog = catalog
        self.sessions = sessions
        self.work = Work(sessions)

    def _team_scope(self, actor: Actor, requested: str | None) -> tuple[bool, str | None]:
        """(anything visible, team filter). Outside a trainer's scope the answer is empty, never widened."""
        require_permission(actor, Permission.REVIEW_TRANSCRIPTS)
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
        page = max(1, min(page, MAX_PAGE))  # an absurd page number is the last page anyone could reach
        if not visible:
            return ReviewPage([], 0, page, size)
        with self.work() as uow:
            rows, total = uow.sessions.browse(
                team=team, trainee=filters.trainee or None, personas=filters.personas,
                difficulty=filters.difficulty, mode=filters.mode,
                started_from=datetime.combine(filters.started_from, time()) if filters.started_from else None,
                started_to=(datetime.combine(filters.started_to, time()) + timedelta(days=1)
                            if filters.started_to else None),
                score_min=filters.score_min, score_max=filters.score_max, flagged=filters.flagged,
                exemplars=filters.exemplars, sort=filters.sort, offset=(page - 1) * size, limit=size,
            )
            decided = decisions(uow.grades, (g for _, _, g in rows))
            out = []
            for s, u, g in rows:
                d = decided.get(g.id) if g is not None else None
                out.append(ReviewRow(
                    s.id, s.trainee, u.team if u else None, s.persona_slug, s.difficulty, s.mode, s.started_at,
                    s.status, d.overall if d else None, d.passed if d else None, d.flags if d else 0,
                    d.status if d else None, s.exemplar_by is not None, d.overridden if d else False))
        return ReviewPage(out, total, page, size)

    def filter_choices(self, actor: Actor) -> FilterChoices:
        """Trainees (accounts with the trainee role, or anyone with a chat) and teams the actor may see."""
        visible, team = self._team_scope(actor, None)
        if not visible:
            return FilterChoices((), ())
        with self.work() as uow:
            trainees, teams = uow.sessions.trainees_and_teams(team)
        return FilterChoices(tuple(trainees), tuple(teams))

    def export(self, actor: Actor, session_ids: list[int], fmt: str) -> str:
        """Selected transcripts with their scores of record: ``json``, ``csv`` (one row per message, with the
        session's score, pass, levels, team and status on each) or ``scores`` (one row per session); ids the
        actor may not read are refused."""
        self._team_scope(actor, None)
        if fmt not in FORMATS:
            raise PracticeError(f"Unknown export format '{fmt}' (choose {', '.join(FORMATS)}).")
        with self.work() as uow:
            for session_id in session_ids:
                row = uow.sessions.get(session_id)
                if row is None or not can_read(actor, row, self.settings):
                    raise AccessDenied(f"No chat with id {session_id}.")
            return export_sessions(uow, fmt, session_ids)

    def _readable(self, uow: UnitOfWork, actor: Actor, session_id: int) -> PracticeSession:
        row = uow.sessions.get(session_id)
        return require(row, session_id, row is not None and can_read(actor, row, self.settings))

    def comment(self, actor: Actor, session_id: int, *, turn: int, body: str) -> None:
        """A trainer comments on one turn (1-based position in the transcript)."""
        self._team_scope(actor, None)
        body = body.strip()
        if not body:
            raise PracticeError("Write a comment first.")
        if len(body) > 4000:
            raise PracticeError("Keep comments under 4,000 characters.")
        with self.work() as uow:
            row = self._readable(uow, actor, session_id)
            if not 1 <= turn <= len(row.messages):
                raise PracticeError(f"This transcript has turns 1 to {len(row.messages)}.")
            uow.sessions.add_comment(session_id=session_id, turn=turn, body=body, by_user_id=actor.id,
                                     by_username=actor.username)
            uow.commit()

    def comments(self, actor: Actor, session_id: int) -> dict[int, list[tuple[str, str]]]:
        """Comments by turn: (who, text). Anyone who may read the transcript (its trainee included) sees them."""
        with self.work() as uow:
            self._readable(uow, actor, session_id)
            rows = uow.sessions.comments(session_id)
            out: dict[int, list[tuple[str, str]]] = {}
            for c in rows:
                out.setdefault(c.turn, []).append((c.by_username, c.body))
            return out

    def new_comments(self, actor: Actor) -> list[NewComments]:
        """The actor's own chats with trainer comments they have not seen yet, newest chat first (a read)."""
        if actor.id is None:
            return []
        with self.work() as uow:
            rows = uow.sessions.unseen_comment_counts(actor.id)
        personas = self.catalog.personas
        return [NewComments(session_id, personas[slug].name if slug in personas else slug, count)
                for session_id, slug, count in rows]

    def mark_comments_seen(self, actor: Actor, session_id: int) -> int:
        """The chat's trainee has opened its report: its comments are no longer new. Returns how many were.

        Anyone else reading the report (a trainer, an admin) changes nothing.
        """
        with self.work() as uow:
            row = self._readable(uow, actor, session_id)
            if actor.id is None or actor.id != row.user_id:
                return 0
            seen = uow.sessions.mark_comments_seen(session_id)
            uow.commit()
            return seen

    def exemplar_ids(self, actor: Actor, session_ids: list[int]) -> set[int]:
        with self.work() as uow:
            rows = uow.sessions.exemplars(session_ids)
            return {r.id for r in rows if can_read(actor, r, self.settings)}

    def mark_exemplar(self, actor: Actor, session_id: int, *, exemplar: bool, note: str = "") -> None:
        self._team_scope(actor, None)
        with self.work() as uow:
            row = self._readable(uow, actor, session_id)
            uow.sessions.mark_exemplar(row, by=actor.username if exemplar else None,
                                       note=note.strip() or None if exemplar else None)
            uow.commit()
