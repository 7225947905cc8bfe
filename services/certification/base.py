"""The service's shared state and the helpers every part uses."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from db import repository as repo
from db.models import Attempt, AttemptReview, Campaign, Certificate, User, utcnow
from services.auth import Actor
from services.catalog import LiveCatalog
from services.certification.views import AttemptView, CampaignView, ReviewView
from services.grading import GradingService
from services.permissions import Permission
from services.permissions import require as require_permission
from services.practice import PracticeService
from services.views import PracticeError
from settings import Settings

T = TypeVar("T")


class CertificationBase:
    def __init__(self, settings: Settings, catalog: LiveCatalog, sessions: sessionmaker[Session],
                 practice: PracticeService, grading: GradingService) -> None:
        self.settings = settings
        self.catalog = catalog
        self.sessions = sessions
        self.practice = practice
        self.grading = grading

    @staticmethod
    def _admin(actor: Actor) -> None:
        require_permission(actor, Permission.MANAGE_CAMPAIGNS)

    @staticmethod
    def _commit(db: Session, change: Callable[[], T]) -> T:
        return repo.commit_audited(db, change)

    def _campaign(self, db: Session, campaign_id: int) -> Campaign:
        row = db.get(Campaign, campaign_id)
        if row is None:
            raise PracticeError(f"No campaign with id {campaign_id}.")
        return row

    def _view(self, db: Session, row: Campaign, user_id: int | None = None) -> CampaignView:
        users = [db.get(User, a.user_id) for a in row.assignments if a.user_id is not None]
        used = 0
        if user_id is not None:
            used = db.scalar(select(func.count()).select_from(Attempt).where(
                Attempt.campaign_id == row.id, Attempt.user_id == user_id)) or 0
        return CampaignView(
            row.id, row.name, row.status, row.pass_mark, json.loads(row.criterion_minimums), row.attempts_allowed,
            row.time_limit_minutes, row.opens_at, row.closes_at, row.hide_aids, row.draw_count, row.review_margin,
            tuple((s.persona_slug, s.difficulty, s.persona_version) for s in row.scenarios),
            tuple(sorted(u.username for u in users if u is not None)),
            tuple(sorted(a.team for a in row.assignments if a.team)), row.rubric_version, used)

    def _assigned(self, row: Campaign, user: User) -> bool:
        return any(a.user_id == user.id or (a.team is not None and a.team == user.team) for a in row.assignments)

    def _attempt_view(self, db: Session, row: Attempt, holder: str | None = None) -> AttemptView:
        campaign = db.get(Campaign, row.campaign_id)
        assert campaign is not None
        reviews = db.scalars(select(AttemptReview).where(AttemptReview.attempt_id == row.id)
                             .order_by(AttemptReview.id)).all()
        cert = db.scalar(select(Certificate.code).where(Certificate.attempt_id == row.id))
        sessions = [s.id for s in row.sessions]
        return AttemptView(
            row.id, row.campaign_id, campaign.name, row.user.username, row.number, row.status, row.outcome,
            row.position, len(json.loads(row.plan)), sessions[-1] if sessions else None, row.started_at,
            row.deadline, row.ended_at, campaign.hide_aids, row.score, row.deterministic_score, row.judge_score,
            row.rule, tuple(json.loads(row.review_reasons or "[]")),
            tuple(ReviewView(r.outcome, r.reason, r.by_username, r.created_at) for r in reviews), cert,
            tuple(sessions), None if holder is None else row.holder == holder)

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.settings.attempt_reconnect_grace_seconds)

    def _left_at(self, row: Attempt, now: datetime | None = None) -> datetime | None:
        """When the trainee left a running attempt: its holder's last check-in plus the grace, if that is
        already past and came before the deadline (left, not merely out of time). None while it is attended."""
        left = (row.holder_seen_at or row.started_at) + self.grace
        return left if left < min(now or utcnow(), row.deadline) else None
