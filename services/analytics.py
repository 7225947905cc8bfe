"""Analytics from stored grades: a trainee's trend and criterion profile, a team's heatmap and weak spots.

Overrides are not applied here (they are shown per transcript); every figure comes from each session's newest
stored grade.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import mean

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from db.models import Grade, PracticeSession, User
from services.access import can_see_trainee
from services.auth import AccessDenied, Actor
from settings import Settings


@dataclass
class TraineeAnalytics:
    trend: list[dict[str, object]] = field(default_factory=list)  # {date, chat, score}
    criteria: list[dict[str, object]] = field(default_factory=list)  # {criterion, average_level, graded}
    per_week: list[dict[str, object]] = field(default_factory=list)  # {week, sessions}


@dataclass
class TeamAnalytics:
    heatmap: list[dict[str, object]] = field(default_factory=list)  # {trainee, criterion, average_level}
    weakest: list[dict[str, object]] = field(default_factory=list)  # {criterion, average_level}
    by_persona: list[dict[str, object]] = field(default_factory=list)  # {persona, difficulty, average_score, n}


def _levels(report_json: str) -> dict[str, int]:
    report = json.loads(report_json)
    return {c["id"]: c["level"] for c in report.get("criteria", []) if c.get("level") is not None}


class AnalyticsService:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions

    def _graded(self, db: Session, *conditions: object) -> list[tuple[PracticeSession, Grade, User | None]]:
        query = (select(PracticeSession, Grade, User)
                 .join(Grade, Grade.id == PracticeSession.latest_grade_id)
                 .outerjoin(User, User.id == PracticeSession.user_id)
                 .where(*conditions).order_by(PracticeSession.started_at))  # type: ignore[arg-type]
        return [(s, g, u) for s, g, u in db.execute(query).all()]

    def trainee(self, actor: Actor, trainee: str | None = None) -> TraineeAnalytics:
        name = (trainee or actor.username).strip()
        with self.sessions() as db:
            owner = db.scalar(select(User).where(User.username == name))
            if not can_see_trainee(actor, name, owner.team if owner else None, self.settings):
                raise AccessDenied(f"No trainee '{name}' you can see.")
            rows = self._graded(db, PracticeSession.trainee == name)
            all_sessions = db.scalars(select(PracticeSession.started_at).where(PracticeSession.trainee == name)).all()
        out = TraineeAnalytics()
        levels: dict[str, list[int]] = defaultdict(list)
        for s, g, _ in rows:
            out.trend.append({"date": s.started_at.date().isoformat(), "chat": s.id, "score": g.overall})
            for criterion, level in _levels(g.report_json).items():
                levels[criterion].append(level)
        out.criteria = [{"criterion": c, "average_level": round(mean(v), 2), "graded": len(v)}
                        for c, v in sorted(levels.items())]
        weeks: dict[str, int] = defaultdict(int)
        for started in all_sessions:
            year, week, _ = started.isocalendar()
            weeks[f"{year}-W{week:02d}"] += 1
        out.per_week = [{"week": w, "sessions": n} for w, n in sorted(weeks.items())]
        return out

    def team(self, actor: Actor, team: str) -> TeamAnalytics:
        if actor.role not in ("trainer", "admin", "system"):
            raise AccessDenied("Only trainers and admins can see team analytics.")
        if actor.role == "trainer" and self.settings.trainer_scope == "team" and team != actor.team:
            raise AccessDenied(f"No team '{team}' you can see.")
        with self.sessions() as db:
            rows = self._graded(db, User.team == team)
        per_cell: dict[tuple[str, str], list[int]] = defaultdict(list)
        per_criterion: dict[str, list[int]] = defaultdict(list)
        per_persona: dict[tuple[str, str], list[int]] = defaultdict(list)
        for s, g, _ in rows:
            for criterion, level in _levels(g.report_json).items():
                per_cell[(s.trainee, criterion)].append(level)
                per_criterion[criterion].append(level)
            per_persona[(s.persona_slug, s.difficulty)].append(g.overall)
        out = TeamAnalytics()
        out.heatmap = [{"trainee": t, "criterion": c, "average_level": round(mean(v), 2)}
                       for (t, c), v in sorted(per_cell.items())]
        out.weakest = sorted(({"criterion": c, "average_level": round(mean(v), 2)} for c, v in per_criterion.items()),
                             key=lambda r: r["average_level"])  # type: ignore[arg-type,return-value]
        out.by_persona = [{"persona": p, "difficulty": d, "average_score": round(mean(v), 1), "n": len(v)}
                          for (p, d), v in sorted(per_persona.items())]
        return out
