"""Ending an attempt: its chats graded with the campaign's rubric, the outcome decided (see ``policy``), the
certificate issued; overdue attempts ended on request."""

from __future__ import annotations

import json
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import audit
from db.models import Attempt, Campaign, Certificate, utcnow
from grading.rubric import RUBRIC_PATH
from services.auth import Actor
from services.certification.campaigns import Campaigns, campaign_rubric
from services.certification.policy import CampaignRule, decide
from services.permissions import Permission
from services.permissions import require as require_permission


def _certificate_code() -> str:
    raw = secrets.token_hex(6).upper()
    return f"CERT-{raw[:4]}-{raw[4:8]}-{raw[8:]}"


class Outcomes(Campaigns):
    def expire_overdue(self, actor: Actor, campaign_id: int | None = None) -> int:
        """End the attempts left behind (the window closed and was never opened again) whose time is up, graded on
        what was done; returns how many. Staff pages call it before they list (HR's report, the review queue):
        listing itself never changes data."""
        require_permission(actor, Permission.END_OVERDUE_ATTEMPTS)
        query = select(Attempt.id).where(Attempt.status == "active", Attempt.deadline <= utcnow())
        if campaign_id is not None:
            query = query.where(Attempt.campaign_id == campaign_id)
        ended = 0
        with self.sessions() as db:
            for attempt_id in db.scalars(query.order_by(Attempt.id)).all():
                row = db.get(Attempt, attempt_id)
                if row is None:
                    continue
                db.refresh(row)  # read afresh: its trainee or another viewer may have ended it meanwhile
                if row.status == "active":
                    self._end(db, row, "abandoned" if self._left_at(row) is not None else "expired", actor.username)
                    ended += 1
        return ended

    def _end(self, db: Session, row: Attempt, status: str, by: str) -> None:
        """End an attempt, grade its chats with the campaign's frozen rubric and decide its outcome."""
        campaign = db.get(Campaign, row.campaign_id)
        assert campaign is not None
        rubric = campaign_rubric(campaign.rubric_yaml or RUBRIC_PATH.read_text(encoding="utf-8"), campaign.pass_mark)
        db.commit()  # end this read transaction: the chats are ended and graded in their own ones
        db.expire_all()  # and read them afresh (sessions are made with expire_on_commit=False)
        chats = [(s.id, s.status == "active", any(m.role == "agent" for m in s.messages)) for s in row.sessions]
        db.commit()  # and give the connection back: the services below use their own (see test_one_connection)
        reports = []
        for session_id, active, answered in chats:
            if active:
                self.practice.end(Actor.system(), session_id)
            if answered:
                reports.append(self.grading.grade_session(Actor.system(), session_id, rubric=rubric).report)
        decision = decide(reports, CampaignRule(
            scenarios=len(json.loads(row.plan)), pass_mark=campaign.pass_mark,
            minimums=json.loads(campaign.criterion_minimums), review_margin=campaign.review_margin,
            judge_configured=self.settings.judge == "llm"))
        if status == "abandoned":
            decision = decision.abandoned()

        def change() -> Attempt:
            row.status, row.ended_at = status, utcnow()
            row.score, row.deterministic_score = decision.score, decision.deterministic_score
            row.judge_score, row.rule, row.outcome = decision.judge_score, decision.rule, decision.outcome
            row.review_reasons = json.dumps(list(decision.reasons))
            audit.append(db, actor=by, action=f"attempt.{status}", subject_type="attempt", row=row)
            if row.outcome == "passed":
                self._issue(db, row, campaign, by)
            return row

        self._commit(db, change)

    def _issue(self, db: Session, row: Attempt, campaign: Campaign, by: str) -> None:
        cert = Certificate(code=_certificate_code(), attempt_id=row.id,
                           holder=row.user.full_name or row.user.username, campaign=campaign.name, score=row.score or 0)
        audit.append(db, actor=by, action="certificate.issued", subject_type="certificate", row=cert)
