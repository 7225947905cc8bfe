"""Ending an attempt: its chats graded with the campaign's rubric, the outcome decided (see ``policy``), the
certificate issued; overdue attempts ended on request."""

from __future__ import annotations

import secrets

from db import audit
from db.models import Attempt, Campaign, Certificate, utcnow
from db.repositories import UnitOfWork
from db.repositories.campaigns import encode_reasons, encode_trust, minimums_of, plan_of
from grading.grader import Graded
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
        listing itself never changes data. Each attempt is ended in its own unit of work."""
        require_permission(actor, Permission.END_OVERDUE_ATTEMPTS)
        with self.work() as uow:
            overdue = uow.campaigns.overdue_attempt_ids(utcnow(), campaign_id)
        ended = 0
        for attempt_id in overdue:
            with self.work() as uow:
                row = uow.campaigns.attempt_afresh(attempt_id)  # its trainee may have ended it meanwhile
                if row is not None and row.status == "active":
                    self._end(uow, row, "abandoned" if self._left_at(row) is not None else "expired", actor.username)
                    ended += 1
        return ended

    def _end(self, uow: UnitOfWork, row: Attempt, status: str, by: str) -> None:
        """End an attempt in the caller's unit of work, and commit: its running chat ended, its chats graded with
        the campaign's frozen rubric, the outcome decided and a pass certified, all in one transaction (a crash
        leaves a running attempt or an ended one with every grade, never half of it). The grader runs before
        anything is written, so no write lock is held while a judge model answers."""
        campaign = uow.campaigns.get(row.campaign_id)
        assert campaign is not None
        rubric = campaign_rubric(campaign.rubric_yaml or self.grading.rubric.current().yaml_text, campaign.pass_mark)
        system = Actor.system()
        graded: list[tuple[int, Graded]] = []
        for chat in row.sessions:
            if any(m.role == "agent" for m in chat.messages):
                transcript, version = self.grading.gradable_in(uow, system, chat.id)
                graded.append((chat.id, self.grading.grade_transcript(transcript, persona_version=version,
                                                                      rubric=rubric)))
        decision = decide([g.report for _, g in graded], CampaignRule(
            scenarios=len(plan_of(row)), pass_mark=campaign.pass_mark, minimums=minimums_of(campaign),
            review_margin=campaign.review_margin, judge_configured=self.settings.judge == "llm",
            trusted=self.calibration.trusted_in(uow, rubric), names={c.id: c.name for c in rubric.criteria}))
        if status == "abandoned":
            decision = decision.abandoned()

        def change() -> Attempt:
            for chat in row.sessions:
                if chat.status == "active":
                    self.practice.end_in(uow, system, chat.id)
            for session_id, grade in graded:
                self.grading.store_in(uow, session_id, grade, "system")
            row.status, row.ended_at = status, utcnow()
            row.score, row.deterministic_score = decision.score, decision.deterministic_score
            row.judge_score, row.rule, row.outcome = decision.judge_score, decision.rule, decision.outcome
            row.review_reasons = encode_reasons(decision.reasons)
            row.trust = encode_trust(decision.trusted, decision.untrusted)
            audit.append(uow.db, actor=by, action=f"attempt.{status}", subject_type="attempt", row=row)
            if row.outcome == "passed":
                self._issue(uow, row, campaign, by)
            return row

        uow.commit(change)

    def _issue(self, uow: UnitOfWork, row: Attempt, campaign: Campaign, by: str) -> None:
        cert = Certificate(code=_certificate_code(), attempt_id=row.id,
                           holder=row.user.full_name or row.user.username, campaign=campaign.name, score=row.score or 0)
        audit.append(uow.db, actor=by, action="certificate.issued", subject_type="certificate", row=cert)
