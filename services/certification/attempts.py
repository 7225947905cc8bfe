"""Attempts (trainee): start, the scenarios in turn, sending, leaving, reading."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from db import audit
from db.models import Attempt, utcnow
from db.repositories import UnitOfWork
from db.repositories.campaigns import encode_plan, plan_of
from services.auth import AccessDenied, Actor
from services.certification.presence import Presence
from services.certification.views import AttemptView
from services.practice import Opening, TurnStream
from services.views import PracticeError


class Attempts(Presence):
    @staticmethod
    def _race_window() -> None:
        """Between counting the attempts used and inserting the next one: where two tabs race. The race test
        holds both tabs here; only the database's unique key then decides."""

    def start_attempt(self, actor: Actor, campaign_id: int, *, holder: str) -> AttemptView:
        """Start the next attempt (or resume the one this browser session holds)."""
        with self.work() as uow:
            campaign = self._campaign(uow, campaign_id)
            user = uow.users.get(actor.id)
            if user is None or not self._assigned(campaign, user):
                raise AccessDenied("This campaign is not assigned to you.")
            now = utcnow()
            if campaign.status != "open" or not campaign.opens_at <= now < campaign.closes_at:
                raise PracticeError(f"Campaign '{campaign.name}' is not open now.")
            active = uow.campaigns.active_attempt(user_id=user.id, campaign_id=campaign.id)
            if active is not None:
                if active.holder == holder or self._within_grace(active, now):  # a reload: resume it
                    resumed = self._check_in(uow, actor, active, holder, take_over=True).view
                    if resumed.active:
                        return resumed
                else:
                    self._end(uow, active, "abandoned", actor.username)  # away past the grace: the trainee left it
            used = uow.campaigns.attempts_used(campaign_id=campaign.id, user_id=user.id)
            if used >= campaign.attempts_allowed:
                raise PracticeError(f"You have used all {campaign.attempts_allowed} attempt(s) of "
                                    f"'{campaign.name}'.")
            self._race_window()
            seed = secrets.randbelow(2**31)
            pool = [s.id for s in campaign.scenarios]
            plan = (random.Random(seed).sample(pool, campaign.draw_count) if campaign.draw_count else pool)

            def change() -> tuple[Attempt, Opening]:
                row = Attempt(campaign_id=campaign.id, user_id=user.id, number=used + 1, seed=seed,
                              plan=encode_plan(plan), position=0, holder=holder, holder_seen_at=now,
                              status="active", started_at=now,
                              deadline=min(now + timedelta(minutes=campaign.time_limit_minutes), campaign.closes_at),
                              outcome="pending")
                audit.append(uow.db, actor=actor.username, action="attempt.started", subject_type="attempt", row=row)
                return row, self._scenario_chat_in(uow, actor, row)

            try:
                attempt, first_chat = uow.commit(change)
            except IntegrityError:
                raise PracticeError("Another tab or window started an attempt at the same moment: this one was "
                                    "not started. Continue in the other one.") from None
        self.practice.open(first_chat).finish()  # the customer's opening line, once the attempt is stored
        return self.attempt(actor, attempt.id, holder=holder)

    def _scenario_chat_in(self, uow: UnitOfWork, actor: Actor, attempt: Attempt) -> Opening:
        """The chat of the attempt's current scenario, created in the caller's unit of work."""
        scenario = uow.campaigns.scenario(plan_of(attempt)[attempt.position])
        assert scenario is not None
        return self.practice.start_in(uow, actor, persona_slug=scenario.persona_slug,
                                      difficulty=scenario.difficulty, seed=attempt.seed + attempt.position,
                                      persona_version=scenario.persona_version, attempt_id=attempt.id)

    def send(self, actor: Actor, attempt_id: int, text: str, *, holder: str) -> TurnStream:
        with self.work() as uow:
            row = self._held(uow, actor, attempt_id, holder)
            session_id = row.sessions[-1].id
        return self.practice.send(actor, session_id, text, via_attempt=True)

    def retry(self, actor: Actor, attempt_id: int, *, holder: str) -> TurnStream:
        with self.work() as uow:
            row = self._held(uow, actor, attempt_id, holder)
            session_id = row.sessions[-1].id
        return self.practice.retry(actor, session_id, via_attempt=True)

    def next_scenario(self, actor: Actor, attempt_id: int, *, holder: str) -> AttemptView:
        """End the current scenario's chat and open the next one, or finish the attempt after the last."""
        with self.work() as uow:
            row = self._held(uow, actor, attempt_id, holder)
            current = row.sessions[-1]
            if not any(m.role == "agent" for m in current.messages):
                raise PracticeError("Answer the customer at least once before moving on.")
            if row.position + 1 >= len(plan_of(row)):  # the last: ending the attempt ends its chat too
                self._end(uow, row, "completed", actor.username)
                return self._attempt_view(uow, row)

            def change() -> Opening:
                if current.status == "active":
                    self.practice.end_in(uow, actor, current.id, via_attempt=True)
                row.position += 1
                audit.append(uow.db, actor=actor.username, action="attempt.progressed", subject_type="attempt", row=row)
                return self._scenario_chat_in(uow, actor, row)

            next_chat = uow.commit(change)  # this chat ended, the next scenario and its chat: one transaction
        self.practice.open(next_chat).finish()
        return self.attempt(actor, attempt_id, holder=holder)

    def abandon(self, actor: Actor, attempt_id: int, *, holder: str) -> AttemptView:
        with self.work() as uow:
            row = self._held(uow, actor, attempt_id, holder)
            self._end(uow, row, "abandoned", actor.username)
            return self._attempt_view(uow, row)

    def attempt(self, actor: Actor, attempt_id: int, *, holder: str | None = None) -> AttemptView:
        """An attempt: its trainee, or staff who may see that trainee. A read: it neither takes the attempt over
        nor ends it (:meth:`check_in` does); with ``holder`` the view says whether that session holds it."""
        with self.work() as uow:
            row = uow.campaigns.attempt(attempt_id)
            if row is None:
                raise PracticeError(f"No attempt with id {attempt_id}.")
            mine = actor.id is not None and row.user_id == actor.id
            if not mine and not self._sees(actor, row.user):
                raise AccessDenied(f"No attempt with id {attempt_id}.")
            return self._attempt_view(uow, row, holder if mine else None)

    def my_attempts(self, actor: Actor, campaign_id: int) -> list[AttemptView]:
        with self.work() as uow:
            rows = uow.campaigns.attempts_of(campaign_id, user_id=actor.id)
            return [self._attempt_view(uow, r) for r in rows]
