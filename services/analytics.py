"""Analytics from stored grades: a trainee's trend and criterion profile, a team's heatmap and weak spots.

Every figure is the score of record: each practice chat's newest grade with trainers' overrides applied (see
:mod:`services.scores`). Certification chats are left out (their results are on the certification pages).
Criteria and customers are named by their titles; the ids stay beside them for exports.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import mean

from sqlalchemy.orm import Session, sessionmaker

from db.models import PracticeSession
from db.repositories import UnitOfWork, Work
from services.access import can_see_trainee
from services.auth import AccessDenied, Actor
from services.catalog import LiveCatalog
from services.permissions import Permission
from services.permissions import require as require_permission
from services.scores import Decision, criterion_titles, decisions
from settings import Settings


@dataclass(frozen=True)
class TrendPoint:
    """One graded practice chat on the trend: ``seq`` counts the trainee's graded chats, oldest first."""

    seq: int
    chat: int
    date: str
    customer: str
    score: int
    overridden: bool


@dataclass(frozen=True)
class CriterionAverage:
    criterion: str
    title: str
    average_level: float
    graded: int


@dataclass(frozen=True)
class WeekCount:
    week: str
    sessions: int


@dataclass(frozen=True)
class HeatCell:
    trainee: str
    criterion: str
    title: str
    average_level: float


@dataclass(frozen=True)
class PersonaScore:
    persona: str
    title: str
    difficulty: str
    average_score: float
    n: int


@dataclass
class TraineeAnalytics:
    trend: list[TrendPoint] = field(default_factory=list)
    criteria: list[CriterionAverage] = field(default_factory=list)
    per_week: list[WeekCount] = field(default_factory=list)


@dataclass
class TeamAnalytics:
    heatmap: list[HeatCell] = field(default_factory=list)
    weakest: list[CriterionAverage] = field(default_factory=list)
    by_persona: list[PersonaScore] = field(default_factory=list)


def _levels(decision: Decision) -> dict[str, int]:
    return {c.id: c.level for c in decision.criteria if c.level is not None}


class AnalyticsService:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], catalog: LiveCatalog | None = None) -> None:
        self.settings = settings
        self.sessions = sessions
        self.work = Work(sessions)
        self.catalog = catalog

    def _persona_title(self, slug: str) -> str:
        persona = self.catalog.personas.get(slug) if self.catalog is not None else None
        return persona.title if persona is not None else slug

    @staticmethod
    def _graded(uow: UnitOfWork, *, trainee: str | None = None, team: str | None = None
                ) -> list[tuple[PracticeSession, Decision]]:
        """Graded practice chats (of a trainee, or a team), oldest first, each with its decision."""
        rows = uow.sessions.graded_practice(trainee=trainee, team=team)
        decided = decisions(uow.grades, (g for _, g in rows), criteria=True)
        return [(s, decided[g.id]) for s, g in rows]

    def trainee(self, actor: Actor, trainee: str | None = None) -> TraineeAnalytics:
        name = (trainee or actor.username).strip()
        with self.work() as uow:
            owner = uow.users.by_username(name)
            if not can_see_trainee(actor, name, owner.team if owner else None, self.settings):
                raise AccessDenied(f"No trainee '{name}' you can see.")
            rows = self._graded(uow, trainee=name)
            all_sessions = uow.sessions.practice_start_times(name)
        out = TraineeAnalytics()
        titles = criterion_titles()
        levels: dict[str, list[int]] = defaultdict(list)
        for seq, (s, d) in enumerate(rows, start=1):
            out.trend.append(TrendPoint(seq, s.id, s.started_at.date().isoformat(),
                                        self._persona_title(s.persona_slug), d.overall, d.overridden))
            for criterion, level in _levels(d).items():
                levels[criterion].append(level)
        out.criteria = [CriterionAverage(c, titles.get(c, c), round(mean(v), 2), len(v))
                        for c, v in sorted(levels.items())]
        weeks: dict[str, int] = defaultdict(int)
        for started in all_sessions:
            year, week, _ = started.isocalendar()
            weeks[f"{year}-W{week:02d}"] += 1
        out.per_week = [WeekCount(w, n) for w, n in sorted(weeks.items())]
        return out

    def team(self, actor: Actor, team: str) -> TeamAnalytics:
        require_permission(actor, Permission.SEE_TEAM_ANALYTICS)
        if actor.role == "trainer" and self.settings.trainer_scope == "team" and team != actor.team:
            raise AccessDenied(f"No team '{team}' you can see.")
        with self.work() as uow:
            rows = self._graded(uow, team=team)
        titles = criterion_titles()
        per_cell: dict[tuple[str, str], list[int]] = defaultdict(list)
        per_criterion: dict[str, list[int]] = defaultdict(list)
        per_persona: dict[tuple[str, str], list[int]] = defaultdict(list)
        for s, d in rows:
            for criterion, level in _levels(d).items():
                per_cell[(s.trainee, criterion)].append(level)
                per_criterion[criterion].append(level)
            per_persona[(s.persona_slug, s.difficulty)].append(d.overall)
        out = TeamAnalytics()
        out.heatmap = [HeatCell(t, c, titles.get(c, c), round(mean(v), 2)) for (t, c), v in sorted(per_cell.items())]
        out.weakest = sorted((CriterionAverage(c, titles.get(c, c), round(mean(v), 2), len(v))
                              for c, v in per_criterion.items()), key=lambda r: r.average_level)
        out.by_persona = [PersonaScore(p, self._persona_title(p), d, round(mean(v), 1), len(v))
                          for (p, d), v in sorted(per_persona.items())]
        return out
