"""Who holds an attempt: check-ins, heartbeats, the reconnect grace, leaving."""

from __future__ import annotations

from datetime import datetime, timedelta

from db import audit
from db.models import Attempt, utcnow
from db.repositories import UnitOfWork
from services.auth import AccessDenied, Actor
from services.certification.outcomes import Outcomes
from services.certification.views import AttemptView, CheckIn
from services.views import PracticeError


class Presence(Outcomes):
    def _within_grace(self, row: Attempt, now: datetime) -> bool:
        """Whether the attempt's holder checked in recently enough for another session to take it over."""
        return self._left_at(row, now) is None

    def _heartbeat_every(self) -> timedelta:
        """How often a holder's check-in is written: often enough for the grace, rarely enough to be cheap."""
        return timedelta(seconds=max(1, min(5, self.settings.attempt_reconnect_grace_seconds // 3)))

    def _held(self, uow: UnitOfWork, actor: Actor, attempt_id: int, holder: str) -> Attempt:
        """The actor's active attempt, held by this browser session; ends it if it was left past the reconnect
        grace or ran out of time. Another session's attempt is refused (it is not ended while it may return)."""
        row = uow.campaigns.attempt(attempt_id)
        if row is None or row.user_id != actor.id:
            raise AccessDenied(f"No attempt with id {attempt_id}.")
        if row.status != "active":
            raise PracticeError("This attempt has ended.")
        now = utcnow()
        if now >= row.deadline:
            if row.holder != holder and self._left_at(row, now) is not None:
                self._end(uow, row, "abandoned", actor.username)
                raise PracticeError("You were away from this attempt for longer than the reconnect grace, so it "
                                    "counts as abandoned.")
            self._end(uow, row, "expired", actor.username)
            raise PracticeError("Time is up: the attempt has ended and is graded on what you did.")
        if row.holder != holder:
            if self._within_grace(row, now):
                raise PracticeError("This attempt continues in another window or tab, so this one cannot "
                                    "answer; nothing was sent. Reload this page to continue it here.")
            self._end(uow, row, "abandoned", actor.username)
            raise PracticeError("You were away from this attempt for longer than the reconnect grace, so it "
                                "counts as abandoned.")
        if row.holder_seen_at is None or now - row.holder_seen_at >= self._heartbeat_every():
            row.holder_seen_at = now
            uow.commit()
        return row

    def running_attempt(self, actor: Actor) -> AttemptView | None:
        """The trainee's attempt that has not ended (whichever browser session holds it), if any. A read."""
        if actor.id is None:
            return None
        with self.work() as uow:
            row = uow.campaigns.active_attempt(user_id=actor.id)
            return self._attempt_view(uow, row) if row is not None else None

    def check_in(self, actor: Actor, attempt_id: int, *, holder: str, take_over: bool = False) -> CheckIn:
        """A browser session checks in on its trainee's attempt: the holder's heartbeat, a returning session
        taking the attempt over within the grace (``take_over``), or ending it once it was left past the
        grace or its time ran out. See :class:`CheckIn` for the outcomes."""
        with self.work() as uow:
            row = uow.campaigns.attempt(attempt_id)
            if row is None or row.user_id != actor.id:
                raise AccessDenied(f"No attempt with id {attempt_id}.")
            return self._check_in(uow, actor, row, holder, take_over=take_over)

    def heartbeat(self, actor: Actor, attempt_id: int, *, holder: str) -> bool:
        """The running page's once-a-second check-in, kept cheap (one read, a write every few seconds): True
        while this browser session holds the running attempt and its time is not up. False means the page
        reruns and :meth:`check_in` says what happened."""
        with self.work() as uow:
            row = uow.campaigns.attempt(attempt_id)
            if row is None or row.user_id != actor.id:
                raise AccessDenied(f"No attempt with id {attempt_id}.")
            now = utcnow()
            if row.status != "active" or row.holder != holder or now >= row.deadline:
                return False
            if row.holder_seen_at is None or now - row.holder_seen_at >= self._heartbeat_every():
                row.holder_seen_at = now
                uow.commit()
            return True

    def _check_in(self, uow: UnitOfWork, actor: Actor, row: Attempt, holder: str, *, take_over: bool) -> CheckIn:
        grace = self.settings.attempt_reconnect_grace_seconds

        def result(kind: str) -> CheckIn:
            return CheckIn(kind, self._attempt_view(uow, row, holder), grace)

        if row.status != "active":
            return result("ended")
        now = utcnow()
        if now >= row.deadline:
            left = row.holder != holder and self._left_at(row, now) is not None
            self._end(uow, row, "abandoned" if left else "expired", actor.username)
            return result("abandoned" if left else "expired")
        if row.holder == holder:
            if row.holder_seen_at is None or now - row.holder_seen_at >= self._heartbeat_every():
                row.holder_seen_at = now  # a heartbeat: not audited (nothing about the result changes)
                uow.commit()
            return result("held")
        if self._left_at(row, now) is not None:
            self._end(uow, row, "abandoned", actor.username)
            return result("abandoned")
        if not take_over:
            return result("elsewhere")

        def change() -> Attempt:
            row.holder, row.holder_seen_at = holder, now
            audit.append(uow.db, actor=actor.username, action="attempt.resumed", subject_type="attempt", row=row)
            return row

        uow.commit(change)
        return result("resumed")
