"""Certification campaigns, their attempts, reviews and certificates: every query, and the JSON columns (an
attempt's plan, review reasons and trust, a campaign's criterion minimums). Adds, changes and flushes; never commits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Attempt, AttemptReview, Campaign, CampaignAssignment, CampaignScenario, Certificate, User


def plan_of(row: Attempt) -> list[int]:
    """The campaign scenario ids the attempt takes, in order."""
    return [int(x) for x in json.loads(row.plan)]


def minimums_of(row: Campaign) -> dict[str, int]:
    """{criterion id: minimum average level} the campaign requires."""
    return {str(k): int(v) for k, v in json.loads(row.criterion_minimums).items()}


def reasons_of(row: Attempt) -> tuple[str, ...]:
    """Why the attempt's result waits for a person (empty when it does not)."""
    return tuple(json.loads(row.review_reasons or "[]"))


def trust_of(row: Attempt) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(trusted, untrusted) criteria when the outcome was decided; both empty for attempts decided before trust."""
    raw = json.loads(row.trust or "{}")
    return tuple(raw.get("trusted", ())), tuple(raw.get("untrusted", ()))


def encode_trust(trusted: Sequence[str], untrusted: Sequence[str]) -> str:
    return json.dumps({"trusted": list(trusted), "untrusted": list(untrusted)})


def encode_minimums(minimums: dict[str, int]) -> str:
    return json.dumps(minimums, sort_keys=True)


def encode_plan(plan: Sequence[int]) -> str:
    return json.dumps(list(plan))


def encode_reasons(reasons: Sequence[str]) -> str:
    return json.dumps(list(reasons))


class CampaignRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    # -- campaigns ------------------------------------------------------------------------------
    def get(self, campaign_id: int) -> Campaign | None:
        return self.db.get(Campaign, campaign_id)

    def all(self) -> Sequence[Campaign]:
        """Every campaign, the latest to open first."""
        return self.db.scalars(select(Campaign).order_by(Campaign.opens_at.desc(), Campaign.id.desc())).all()

    def scenario(self, scenario_id: int) -> CampaignScenario | None:
        return self.db.get(CampaignScenario, scenario_id)

    def assigned_users(self, row: Campaign) -> Sequence[User]:
        """The campaign's trainees, named or through their team, by username."""
        teams = [a.team for a in row.assignments if a.team]
        direct = [a.user_id for a in row.assignments if a.user_id is not None]
        if not teams and not direct:
            return []
        return self.db.scalars(select(User).where((User.id.in_(direct)) | (User.team.in_(teams)))
                               .order_by(User.username)).all()

    # -- assignments to teams (by name: what a team's rename and deletion must look at) ---------
    def assigned_campaign_counts(self) -> dict[str, int]:
        """{team name: campaigns assigned to the whole team}, for teams with any."""
        rows = self.db.execute(select(CampaignAssignment.team, func.count(CampaignAssignment.campaign_id.distinct()))
                               .where(CampaignAssignment.team.is_not(None))
                               .group_by(CampaignAssignment.team))
        return {team: count for team, count in rows.all() if team is not None}

    def campaigns_assigned_to(self, team: str) -> Sequence[Campaign]:
        """The campaigns assigned to a whole team, by id."""
        return self.db.scalars(select(Campaign).where(Campaign.id.in_(
            select(CampaignAssignment.campaign_id).where(CampaignAssignment.team == team)))
            .order_by(Campaign.id)).all()

    def campaign_names_assigned_to(self, team: str) -> Sequence[str]:
        return self.db.scalars(select(Campaign.name).join(CampaignAssignment)
                               .where(CampaignAssignment.team == team).distinct()).all()

    @staticmethod
    def rename_assignments(campaign: Campaign, *, old: str, new: str) -> None:
        """Point the campaign's assignments to team ``old`` at ``new``."""
        for assignment in campaign.assignments:
            if assignment.team == old:
                assignment.team = new

    # -- attempts -------------------------------------------------------------------------------
    def attempt(self, attempt_id: int) -> Attempt | None:
        return self.db.get(Attempt, attempt_id)

    def attempt_afresh(self, attempt_id: int) -> Attempt | None:
        """The attempt as stored now (its trainee or another viewer may have ended it meanwhile)."""
        row = self.db.get(Attempt, attempt_id)
        if row is not None:
            self.db.refresh(row)
        return row

    def active_attempt(self, *, user_id: int, campaign_id: int | None = None) -> Attempt | None:
        """The user's newest attempt that has not ended (of one campaign, or any)."""
        query = select(Attempt).where(Attempt.user_id == user_id, Attempt.status == "active")
        if campaign_id is not None:
            query = query.where(Attempt.campaign_id == campaign_id)
        return self.db.scalar(query.order_by(Attempt.id.desc()).limit(1))

    def attempts_used(self, *, campaign_id: int, user_id: int) -> int:
        return self.db.scalar(select(func.count()).select_from(Attempt).where(
            Attempt.campaign_id == campaign_id, Attempt.user_id == user_id)) or 0

    def overdue_attempt_ids(self, now: datetime, campaign_id: int | None = None) -> Sequence[int]:
        """Attempts still active after their deadline, oldest first."""
        query = select(Attempt.id).where(Attempt.status == "active", Attempt.deadline <= now)
        if campaign_id is not None:
            query = query.where(Attempt.campaign_id == campaign_id)
        return self.db.scalars(query.order_by(Attempt.id)).all()

    def attempts_of(self, campaign_id: int, user_id: int | None = None) -> Sequence[Attempt]:
        """A campaign's attempts (of one trainee, or all), by trainee and number."""
        query = select(Attempt).where(Attempt.campaign_id == campaign_id)
        if user_id is not None:
            query = query.where(Attempt.user_id == user_id)
        return self.db.scalars(query.order_by(Attempt.user_id, Attempt.number)).all()

    def awaiting_review(self) -> Sequence[Attempt]:
        """Ended attempts whose result waits for a person, the longest waiting first."""
        return self.db.scalars(select(Attempt).where(Attempt.outcome == "review").order_by(Attempt.ended_at)).all()

    def reviews(self, attempt_id: int) -> Sequence[AttemptReview]:
        return self.db.scalars(select(AttemptReview).where(AttemptReview.attempt_id == attempt_id)
                               .order_by(AttemptReview.id)).all()

    # -- certificates ---------------------------------------------------------------------------
    def certificate_code(self, attempt_id: int) -> str | None:
        return self.db.scalar(select(Certificate.code).where(Certificate.attempt_id == attempt_id))

    def certificate_codes(self, attempt_ids: Sequence[int]) -> dict[int, str]:
        """Attempt id -> its certificate's code, for those of these attempts that have one."""
        if not attempt_ids:
            return {}
        return {attempt_id: code for attempt_id, code in self.db.execute(
            select(Certificate.attempt_id, Certificate.code).where(Certificate.attempt_id.in_(list(attempt_ids))))}

    def certificate(self, code: str) -> Certificate | None:
        return self.db.scalar(select(Certificate).where(Certificate.code == code))

