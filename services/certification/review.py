"""Review (trainers, HR and admins): the queue of results waiting for a person, and their decision."""

from __future__ import annotations

from db import audit
from db.models import Attempt, AttemptReview
from services.auth import AccessDenied, Actor
from services.calibration import record_review_in
from services.certification.attempts import Attempts
from services.certification.views import OUTCOMES, AttemptView
from services.permissions import Permission, may
from services.permissions import require as require_permission
from services.views import PracticeError


class Review(Attempts):
    def review_queue(self, actor: Actor) -> list[AttemptView]:
        require_permission(actor, Permission.REVIEW_CERTIFICATION)
        with self.work() as uow:
            rows = uow.campaigns.awaiting_review()
            return [self._attempt_view(uow, r) for r in rows if self._sees(actor, r.user)]

    @staticmethod
    def confirms_levels(actor: Actor) -> bool:
        """Whether this reviewer's decision also confirms the chats' criterion levels (trainers' and admins' do;
        HR decides the outcome only: the grader's measured agreement is trainers' word)."""
        return may(actor, Permission.OVERRIDE_GRADES)

    def review(self, actor: Actor, attempt_id: int, *, outcome: str, reason: str) -> AttemptView:
        """Confirm or change an ended attempt's outcome, with a reason (a new row; the result shows who did it).
        A trainer's (or admin's) decision also confirms the criterion levels of the attempt's chats as they
        stand: each becomes a trainer's judgement of the grader (override a level on the chat's report first to
        disagree). HR's decides the outcome only (:meth:`confirms_levels`)."""
        require_permission(actor, Permission.REVIEW_CERTIFICATION)
        if outcome not in OUTCOMES:
            raise PracticeError("The outcome is passed or failed.")
        reason = reason.strip()
        if len(reason) < 5:
            raise PracticeError("Give a reason (at least 5 characters).")
        with self.work() as uow:
            row = uow.campaigns.attempt(attempt_id)
            if row is None or not self._sees(actor, row.user):
                raise AccessDenied(f"No attempt with id {attempt_id}.")
            if row.status == "active":
                raise PracticeError("This attempt is still running.")
            if row.user_id == actor.id:
                raise AccessDenied("Nobody reviews their own attempt.")
            campaign = uow.campaigns.get(row.campaign_id)
            assert campaign is not None

            def change() -> Attempt:
                review = AttemptReview(attempt_id=row.id, outcome=outcome, reason=reason[:2000],
                                       by_username=actor.username)
                row.outcome = outcome
                if self.confirms_levels(actor):  # a trainer read the chats: their levels as they stand are confirmed
                    record_review_in(uow, [s.id for s in row.sessions], actor.username)
                audit.append(uow.db, actor=actor.username, action="attempt.reviewed", subject_type="review", row=review)
                audit.append(uow.db, actor=actor.username, action=f"attempt.{outcome}", subject_type="attempt", row=row)
                has_cert = uow.campaigns.certificate_code(row.id)
                if outcome == "passed" and has_cert is None:
                    self._issue(uow, row, campaign, actor.username)
                return row

            uow.commit(change)
            return self._attempt_view(uow, row)
