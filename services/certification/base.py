"""The service's shared state and the helpers every part uses."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from db.models import Attempt, Campaign, User, utcnow
from db.repositories import UnitOfWork, Work
from db.repositories.campaigns import minimums_of, plan_of, reasons_of, trust_of
from services.auth import Actor
from services.calibration import CalibrationService
from services.catalog import LiveCatalog
from services.certification.views import AttemptView, CampaignView, ReviewView
from services.grading import GradingService
from services.permissions import Permission
from services.permissions import require as require_permission
from services.practice import PracticeService
from services.views import PracticeError
from settings import Settings


class CertificationBase:
    def __init__(self, settings: Settings, catalog: LiveCatalog, sessions: sessionmaker[Session],
                 practice: PracticeService, grading: GradingService, calibration: CalibrationService) -> None:
        self.settings = settings
        self.catalog = catalog
        self.sessions = sessions
        self.work = Work(sessions)
        self.practice = practice
        self.grading = grading
        self.calibration = calibration

    @staticmethod
    def _admin(actor: Actor) -> None:
        require_permission(actor, Permission.MANAGE_CAMPAIGNS)

    def _campaign(self, uow: UnitOfWork, campaign_id: int) -> Campaign:
        row = uow.campaigns.get(campaign_id)
        if row is None:
            raise PracticeError(f"No campaign with id {campaign_id}.")
        return row

    def _view(self, uow: UnitOfWork, row: Campaign, user_id: int | None = None) -> CampaignView:
        users = [uow.users.get(a.user_id) for a in row.assignments if a.user_id is not None]
        used = 0
        if user_id is not None:
            used = uow.campaigns.attempts_used(campaign_id=row.id, user_id=user_id)
        return CampaignView(
            row.id, row.name, row.status, row.pass_mark, minimums_of(row), row.attempts_allowed,
            row.time_limit_minutes, row.opens_at, row.closes_at, row.hide_aids, row.draw_count, row.review_margin,
            tuple((s.persona_slug, s.difficulty, s.persona_version) for s in row.scenarios),
            tuple(sorted(u.username for u in users if u is not None)),
            tuple(sorted(a.team for a in row.assignments if a.team)), row.rubric_version, used)

    def _assigned(self, row: Campaign, user: User) -> bool:
        return any(a.user_id == user.id or (a.team is not None and a.team == user.team) for a in row.assignments)

    def _attempt_view(self, uow: UnitOfWork, row: Attempt, holder: str | None = None) -> AttemptView:
        campaign = uow.campaigns.get(row.campaign_id)
        assert campaign is not None
        reviews = uow.campaigns.reviews(row.id)
        cert = uow.campaigns.certificate_code(row.id)
        sessions = [s.id for s in row.sessions]
        trusted, untrusted = trust_of(row)
        return AttemptView(
            row.id, row.campaign_id, campaign.name, row.user.username, row.number, row.status, row.outcome,
            row.position, len(plan_of(row)), sessions[-1] if sessions else None, row.started_at,
            row.deadline, row.ended_at, campaign.hide_aids, row.score, row.deterministic_score, row.judge_score,
            row.rule, reasons_of(row),
            tuple(ReviewView(r.outcome, r.reason, r.by_username, r.created_at) for r in reviews), cert,
            tuple(sessions), None if holder is None else row.holder == holder, trusted, untrusted)

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.settings.attempt_reconnect_grace_seconds)

    def _left_at(self, row: Attempt, now: datetime | None = None) -> datetime | None:
        """When the trainee left a running attempt: its holder's last check-in plus the grace, if that is
        already past and came before the deadline (left, not merely out of time). None while it is attended."""
        left = (row.holder_seen_at or row.started_at) + self.grace
        return left if left < min(now or utcnow(), row.deadline) else None
