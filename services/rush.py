"""Rush hour: two or three customers write at once, each in a tab of its own, and the one left unanswered writes
again, more frustrated, and in the end leaves (workshop: high-stress peak times, backlog; communicating the delay
beats silence).

Each customer is an ordinary practice chat (``practice_sessions.rush_id`` names its rush), so the engine, the
backends, branching, hints and the grader work as in any chat. Waiting is read from the messages' own times (the
clock is injectable: ``now``), and a nudge is written by :meth:`RushService.tick`, a use case the page calls every
second while the rush is on screen and that :meth:`RushService.send` calls first. The report grades each
conversation and adds how long each customer waited and whether the trainee kept them posted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from customer import waiting
from customer.waiting import Said
from db.models import PracticeSession, utcnow
from db.models_practice import Rush
from db.repositories import UnitOfWork, Work
from db.repositories.sessions import state_of
from services.access import can_read
from services.auth import Actor
from services.practice import DIFFICULTIES, PracticeService, TurnStream
from services.views import PracticeError, SessionView, turn_after
from signals.posted import Posted, kept_posted

log = logging.getLogger(__name__)
MIN_CUSTOMERS, MAX_CUSTOMERS = 2, 3
#: The customers a rush starts with when the trainee picks none: one to calm, one to hold a line with, one to keep
#: it simple for.
DEFAULT_CUSTOMERS = ("hostile", "discount-demander", "language-barrier")


@lru_cache(maxsize=2048)
def posted(text: str) -> Posted | None:
    """Whether an agent message kept its customer posted (read once per text: the page asks every second)."""
    return kept_posted(text)


@dataclass(frozen=True)
class RushCustomer:
    """One customer of a rush as the page shows it.

    Attributes:
        chat: the conversation.
        waiting_seconds: how long they have waited for the agent (``None``: the agent spoke last, or it ended).
        nudges: times they wrote again since the agent's last message.
        patience: seconds they wait now before writing again (longer once kept posted).
        kept_posted: the agent's last message to them kept them posted.
    """

    chat: SessionView
    waiting_seconds: float | None
    nudges: int
    patience: float
    kept_posted: bool


@dataclass(frozen=True)
class RushView:
    id: int
    trainee: str
    difficulty: str
    started_at: datetime
    ended_at: datetime | None
    customers: tuple[RushCustomer, ...]

    @property
    def active(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True)
class PostedQuote:
    turn: int
    quote: str


@dataclass(frozen=True)
class WaitReport:
    """One conversation of a rush on its report: its grade, its waits, and whether its customer was kept posted.

    ``kept_posted``: the trainee told them what was happening before they first had to write again; None when they
    never waited past their patience (nothing to keep them posted about). ``posted`` quotes every message that kept
    them posted, in time or late.
    """

    session_id: int
    name: str
    title: str
    overall: int | None
    ended_reason: str | None
    waits: int
    total_wait: float
    longest_wait: float
    nudges: int
    posted: tuple[PostedQuote, ...]
    kept_posted: bool | None


@dataclass(frozen=True)
class RushReport:
    rush: RushView
    conversations: tuple[WaitReport, ...]


def said(row: PracticeSession) -> list[Said]:
    return [Said(m.role, m.created_at, m.role == "agent" and posted(m.content) is not None) for m in row.messages]


class RushService:
    def __init__(self, practice: PracticeService) -> None:
        self.practice = practice
        self.settings = practice.settings
        self.catalog = practice.catalog
        self.work = Work(practice.sessions)

    def customers(self) -> list[tuple[str, str]]:
        """(slug, title) of every customer a rush can have: one customer per chat (no disputes)."""
        return [(c.slug, c.title) for c in self.practice.personas()
                if self.catalog.personas[c.slug].dispute is None]

    # -- use cases --------------------------------------------------------------------------------------------
    def start(self, actor: Actor, slugs: Sequence[str] = DEFAULT_CUSTOMERS, *, difficulty: str = "normal",
              seed: int | None = None) -> int:
        """Create the rush and its chats in one transaction, then let every customer open (each reply stored)."""
        if actor.id is None:
            raise PracticeError("Log in to practise rush hour.")
        chosen = list(dict.fromkeys(slugs))
        if not MIN_CUSTOMERS <= len(chosen) <= MAX_CUSTOMERS:
            raise PracticeError(f"Rush hour needs {MIN_CUSTOMERS} or {MAX_CUSTOMERS} different customers; "
                                f"{len(chosen)} chosen.")
        allowed = dict(self.customers())
        unknown = [s for s in chosen if s not in allowed]
        if unknown:
            raise PracticeError(f"Rush hour cannot have the customer '{unknown[0]}': choose from "
                                f"{', '.join(allowed.values())}.")
        if difficulty not in DIFFICULTIES:
            raise PracticeError(f"Unknown difficulty '{difficulty}' (choose easy, normal or hard).")
        with self.work() as uow:
            rush = uow.rushes.create(user_id=actor.id, trainee=actor.username, difficulty=difficulty,
                                     patience_seconds=self.settings.rush_patience_seconds)
            openings = [self.practice.start_in(uow, actor, persona_slug=s, difficulty=difficulty,
                                               seed=None if seed is None else seed + i, rush_id=rush.id)
                        for i, s in enumerate(chosen)]
            uow.commit()
            rush_id = rush.id
        for opening in openings:
            self.practice.open(opening).finish()
        return rush_id

    def get(self, actor: Actor, rush_id: int, *, now: datetime | None = None) -> RushView:
        with self.work() as uow:
            rush, chats = self._readable(uow, actor, rush_id)
            return self._view(rush, chats, now or utcnow())

    def tick(self, actor: Actor, rush_id: int, *, now: datetime | None = None) -> int:
        """Every customer left unanswered past their patience writes again (the third time they leave); returns how
        many did. Each nudge claims the next message position, so two tabs ticking at once write it once."""
        now = now or utcnow()
        written = 0
        with self.work() as uow:
            rush, chats = self._own(uow, actor, rush_id)
            due = [c.id for c in chats if c.status == "active" and rush.ended_at is None
                   and waiting.due(said(c), now, self._patience(rush, c))]
        ended: list[int] = []
        for session_id in due:
            try:
                with self.work() as uow:
                    row = uow.sessions.get(session_id)
                    assert row is not None
                    messages = said(row)
                    if row.status != "active" or not waiting.due(messages, now, self._patience(rush, row)):
                        continue  # answered, or nudged by another tab, since it was read
                    nudge = waiting.nudge(state_of(row), messages, sensitivity=self._sensitivity(row),
                                          seed=row.seed)
                    uow.sessions.add_message(session_id=row.id, role="customer", content=nudge.text,
                                             frustration=nudge.state.frustration, state=nudge.state,
                                             seq=row.messages[-1].seq + 1, at=now)
                    uow.sessions.save_state(session_id=row.id, state=nudge.state,
                                            ended_reason=nudge.state.ended_reason)
                    uow.commit()
            except IntegrityError:  # another writer took the position first: its message stands
                continue
            written += 1
            if nudge.state.ended:
                ended.append(session_id)
        for session_id in ended:  # walked away: graded now, as any chat the customer ends
            try:
                self.practice.grading.grade_if_ended(session_id)
            except (PracticeError, SQLAlchemyError) as exc:
                log.warning("grading rush chat %s after its customer left failed: %s", session_id, exc)
        return written

    def send(self, actor: Actor, rush_id: int, session_id: int, text: str, *,
             now: datetime | None = None) -> TurnStream:
        """Waits are applied first (a customer may have just written again), then the message goes to its chat."""
        self.tick(actor, rush_id, now=now)
        with self.work() as uow:
            _, chats = self._own(uow, actor, rush_id)
            if session_id not in {c.id for c in chats}:
                raise PracticeError(f"Chat #{session_id} is not one of rush hour #{rush_id}'s.")
        return self.practice.send(actor, session_id, text)

    def end(self, actor: Actor, rush_id: int) -> RushReport:
        """End every running chat and grade each (a chat with nothing from the trainee is ended ungraded), then the
        rush. A failure half-way leaves the rest running: ending again finishes them."""
        with self.work() as uow:
            _, chats = self._own(uow, actor, rush_id)
            running = [c.id for c in chats if c.status == "active"]
        for session_id in running:
            self.practice.end_and_grade(actor, session_id)
        with self.work() as uow:
            rush, _ = self._own(uow, actor, rush_id)
            uow.rushes.end(rush, utcnow())
            uow.commit()
        return self.report(actor, rush_id)

    def report(self, actor: Actor, rush_id: int) -> RushReport:
        with self.work() as uow:
            rush, chats = self._readable(uow, actor, rush_id)
            until = rush.ended_at or utcnow()
            view = self._view(rush, chats, until)
            return RushReport(view, tuple(self._wait_report(rush, c, until) for c in chats))

    def running(self, actor: Actor) -> list[RushView]:
        """The actor's rush hours not ended yet."""
        if actor.id is None:
            return []
        with self.work() as uow:
            now = utcnow()
            return [self._view(r, uow.rushes.chats(r.id), now) for r in uow.rushes.running(actor.id)]

    # -- internals --------------------------------------------------------------------------------------------
    def _readable(self, uow: UnitOfWork, actor: Actor, rush_id: int) -> tuple[Rush, Sequence[PracticeSession]]:
        rush = uow.rushes.get(rush_id)
        chats = uow.rushes.chats(rush_id) if rush is not None else ()
        if rush is None or not chats or not all(can_read(actor, c, self.settings) for c in chats):
            raise PracticeError(f"No rush hour with id {rush_id}.")  # the same for a missing and a forbidden one
        return rush, chats

    def _own(self, uow: UnitOfWork, actor: Actor, rush_id: int) -> tuple[Rush, Sequence[PracticeSession]]:
        rush, chats = self._readable(uow, actor, rush_id)
        if actor.id is None or rush.user_id != actor.id:
            raise PracticeError(f"No rush hour with id {rush_id}.")
        return rush, chats

    def _sensitivity(self, row: PracticeSession) -> float:
        """The chat's customer's sensitivity at its difficulty (its own persona version)."""
        persona = self.catalog.pinned(row.persona_slug, row.persona_version)
        return persona.difficulty.level(row.difficulty).sensitivity  # type: ignore[arg-type]

    def _patience(self, rush: Rush, row: PracticeSession) -> float:
        """This customer's patience at the rush's difficulty: shorter for a more sensitive customer."""
        return rush.patience_seconds / self._sensitivity(row)

    def _view(self, rush: Rush, chats: Sequence[PracticeSession], now: datetime) -> RushView:
        customers = []
        for c in chats:
            messages = said(c)
            since = waiting.waiting_since(messages) if c.status == "active" else None
            customers.append(RushCustomer(
                self.practice.view_of(c), None if since is None else max(0.0, (now - since).total_seconds()),
                waiting.nudges(messages), waiting.patience_now(messages, self._patience(rush, c)),
                waiting.last_posted(messages)))
        return RushView(rush.id, rush.trainee, rush.difficulty, rush.started_at, rush.ended_at, tuple(customers))

    def _wait_report(self, rush: Rush, row: PracticeSession, until: datetime) -> WaitReport:
        """Kept posted: told what was happening before they first had to write again (or never had to)."""
        messages = said(row)
        waits = waiting.waits(messages, row.ended_at or until)
        quotes, first_posted, first_nudge, nudged = [], None, None, 0
        for i, m in enumerate(row.messages):
            found = posted(m.content) if m.role == "agent" else None
            if found is not None:
                quotes.append(PostedQuote(turn_after(x.role for x in row.messages[:i]), found.quote))
                first_posted = i if first_posted is None else first_posted
            if i and m.role == row.messages[i - 1].role == "customer":  # wrote again, unanswered
                nudged += 1
                first_nudge = i if first_nudge is None else first_nudge
        needed = nudged > 0 or max(waits, default=0.0) >= self._patience(rush, row)
        in_time = first_posted is not None and (first_nudge is None or first_posted < first_nudge)
        persona = self.catalog.personas.get(row.persona_slug)
        return WaitReport(
            row.id, persona.name if persona else row.persona_slug, persona.title if persona else row.persona_slug,
            row.latest_overall, row.ended_reason, len(waits), round(sum(waits), 1), round(max(waits, default=0.0), 1),
            nudged, tuple(quotes), in_time if needed else None)
