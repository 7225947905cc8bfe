"""The service's shared state and the helpers every part uses."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from types import MappingProxyType

from sqlalchemy.orm import Session, sessionmaker

from db.models import Attempt, Campaign, User, utcnow
from db.repositories import UnitOfWork, Work
from db.repositories.campaigns import minimums_of, plan_of, reasons_of, trust_of
from grading.rubric import parse_rubric, reading_stored
from services.access import can_see_trainee
from services.auth import Actor
from services.calibration import CalibrationService
from services.catalog import LiveCatalog
from services.certification.views import AttemptView, CampaignView, ReviewView
from services.grading import GradingService
from services.permissions import Permission, may
from services.permissions import require as require_permission
from services.practice import PracticeService
from services.views import PracticeError
from settings import Settings


@lru_cache(maxsize=64)
def _names_in(rubric_text: str) -> Mapping[str, str]:
    """{criterion id: name} of a campaign's frozen rubric (parsed once per text: every result view needs it)."""
    with reading_stored():
        return MappingProxyType({c.id: c.name for c in parse_rubric(rubric_text).criteria})


#: Where a text stored before results named their criteria has an id: "untrusted criterion apology: ...",
#: "apology averages 1.5 < 2", "apology never shown", "(apology >= 2)".
_STORED_ID = re.compile(r"(?<=untrusted criterion )[a-z0-9_]+(?=:)"
                        r"|(?:(?<=: )|(?<=; )|(?<=\()|(?<=, ))[a-z0-9_]+(?= averages | never shown| >= )")


def named(text: str, names: Mapping[str, str]) -> str:
    """``text`` with the criterion ids of a stored reason or rule replaced by their names (texts written since
    name them already, and are left as they are)."""
    return _STORED_ID.sub(lambda m: names.get(m[0], m[0]), text)


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

    def _criterion_names(self, campaign: Campaign) -> Mapping[str, str]:
        """{criterion id: name}: the campaign's frozen rubric, or the current one before it was opened."""
        return _names_in(campaign.rubric_yaml or self.grading.rubric.current().yaml_text)

    def _sees(self, actor: Actor, user: User) -> bool:
        """Whether ``actor`` may see this trainee's certification results: HR and admins every trainee's, a
        trainer those in scope (as their chats), a trainee their own."""
        return may(actor, Permission.SEE_EVERY_ATTEMPT) or can_see_trainee(actor, user.username, user.team,
                                                                           self.settings)

    def _assigned(self, row: Campaign, user: User) -> bool:
        return any(a.user_id == user.id or (a.team is not None and a.team == user.team) for a in row.assignments)

    def _attempt_view(self, uow: UnitOfWork, row: Attempt, holder: str | None = None) -> AttemptView:
        campaign = uow.campaigns.get(row.campaign_id)
        assert campaign is not None
        reviews = uow.campaigns.reviews(row.id)
        cert = uow.campaigns.certificate_code(row.id)
        sessions = [s.id for s in row.sessions]
        trusted, untrusted = trust_of(row)
        names = self._criterion_names(campaign)
        return AttemptView(
            row.id, row.campaign_id, campaign.name, row.user.username, row.number, row.status, row.outcome,
            row.position, len(plan_of(row)), sessions[-1] if sessions else None, row.started_at,
            row.deadline, row.ended_at, campaign.hide_aids, row.score, row.deterministic_score, row.judge_score,
            None if row.rule is None else named(row.rule, names), tuple(named(r, names) for r in reasons_of(row)),
            tuple(ReviewView(r.outcome, r.reason, r.by_username, r.created_at) for r in reviews), cert,
            tuple(sessions), None if holder is None else row.holder == holder, trusted, untrusted,
            tuple(names.get(c, c) for c in trusted), tuple(names.get(c, c) for c in untrusted))

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.settings.attempt_reconnect_grace_seconds)

    def _left_at(self, row: Attempt, now: datetime | None = None) -> datetime | None:
        """When the trainee left a running attempt: its holder's last check-in plus the grace, if that is
        already past and came before the deadline (left, not merely out of time). None while it is attended."""
        left = (row.holder_seen_at or row.started_at) + self.grace
        return left if left < min(now or utcnow(), row.deadline) else None
