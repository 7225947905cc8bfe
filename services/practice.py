"""Practice use cases: list personas, start a chat, send a message, retry a reply, end, resume.

Every agent message is committed before the customer is asked to answer; the
customer's reply and its new state are committed together afterwards.  If the
reply fails (model down, process killed), the agent's message is kept and
:meth:`PracticeService.retry` produces the reply later, deterministically from
the stored state.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from customer.backend import CustomerBackend, ReplyStream, Turn
from customer.backends import BackendUnavailable, make_backend
from customer.state import CustomerState
from customer.turn import CustomerTurn, DisputeTurn, Engine, Spoken, make_engine, opening, step
from db.models import PracticeSession
from db.repositories import UnitOfWork, Work
from db.repositories.sessions import state_of
from llm.client import LLMError
from personas.loader import version_hash
from personas.schema import Persona
from services.access import can_change, can_read, require
from services.auth import Actor
from services.catalog import LiveCatalog
from services.grading import GradingService, StoredGrade
from services.views import (
    MessageView,
    PartyView,
    PersonaCard,
    PracticeError,
    SessionSummary,
    SessionView,
    turn_after,
)
from settings import Settings

log = logging.getLogger(__name__)

DIFFICULTIES = ("easy", "normal", "hard")
#: The four customers the product is known for come first in the picker.
FEATURED = ("hostile", "discount-demander", "provocateur", "language-barrier")


def catalog_order(persona: Persona) -> tuple[int, str]:
    rank = FEATURED.index(persona.slug) if persona.slug in FEATURED else len(FEATURED)
    return rank, persona.title


@dataclass(frozen=True)
class Opening:
    """A chat created in a unit of work, whose customer speaks first once that unit is committed."""

    session_id: int
    turn: CustomerTurn | DisputeTurn


@dataclass
class TurnStream:
    """The customer's reply as it streams; ``session`` is filled once it is stored.

    Iterate it to get text chunks.  ``error`` is set (and nothing is stored for
    the customer) when the model failed; the agent's message stays stored.
    """

    _chunks: Iterator[str]
    session: SessionView | None = None
    error: str | None = None
    guard: str | None = None

    def __iter__(self) -> Iterator[str]:
        return self._chunks

    def finish(self) -> SessionView | None:
        for _ in self._chunks:
            pass
        return self.session


class PracticeService:
    def __init__(self, settings: Settings, catalog: LiveCatalog, sessions: sessionmaker[Session],
                 grading: GradingService) -> None:
        self.settings = settings
        self.catalog = catalog
        self.sessions = sessions
        self.work = Work(sessions)
        #: Grades a chat when it ends (the trainee ends it, or the customer does).
        self.grading = grading

    # -- personas -------------------------------------------------------------------------
    def personas(self) -> list[PersonaCard]:
        return [
            PersonaCard(p.slug, p.name, p.title, p.summary,
                        {d: p.difficulty.level(d).start_frustration for d in DIFFICULTIES})  # type: ignore[arg-type]
            for p in sorted(self.catalog.personas.values(), key=catalog_order)
        ]

    def skipped_personas(self) -> list[str]:
        return [s.message for s in self.catalog.skipped]

    def _persona(self, slug: str) -> Persona:
        try:
            return self.catalog.get(slug)
        except KeyError as exc:
            raise PracticeError(str(exc.args[0])) from None

    # -- sessions -------------------------------------------------------------------------
    def start(self, actor: Actor, *, persona_slug: str, difficulty: str = "normal", seed: int | None = None,
              backend: str | None = None, trainee: str | None = None) -> TurnStream:
        """Create a practice session owned by ``actor`` and stream the customer's opening line (see
        :meth:`start_in`). A certification chat is started by the certification service only: this use case takes
        no attempt id (a trainee passing someone else's once joined a chat to their running attempt)."""
        with self.work() as uow:
            started = self.start_in(uow, actor, persona_slug=persona_slug, difficulty=difficulty, seed=seed,
                                    backend=backend, trainee=trainee)
            uow.commit()
        return self.open(started)

    def start_in(self, uow: UnitOfWork, actor: Actor, *, persona_slug: str, difficulty: str = "normal",
                 seed: int | None = None, backend: str | None = None, trainee: str | None = None,
                 persona_version: str | None = None, attempt_id: int | None = None,
                 rush_id: int | None = None) -> Opening:
        """Create a session owned by ``actor`` in the caller's unit of work; once that is committed,
        :meth:`open` streams the customer's opening line (no model is called inside the transaction).

        ``trainee`` (a display name) is honoured only for the operator's tools; people practise as themselves.
        ``persona_version`` and ``attempt_id`` are set by the certification service only (a campaign's frozen
        persona version; the chat then belongs to that attempt, in ``certification`` mode); ``rush_id`` by the rush
        hour service (the chat is one of a rush's).
        """
        trainee = (trainee if actor.role == "system" and trainee else actor.username).strip()
        if not trainee:
            raise PracticeError("Enter your name before starting a chat.")
        if len(trainee) > 80:
            raise PracticeError("Names are limited to 80 characters.")
        if difficulty not in DIFFICULTIES:
            raise PracticeError(f"Unknown difficulty '{difficulty}' (choose easy, normal or hard).")
        persona = self._persona(persona_slug)
        if persona_version is not None:
            persona = self.catalog.pinned(persona_slug, persona_version)
        backend_name = backend or self.settings.llm_backend
        customer = self._backend(backend_name)
        engine = make_engine(persona, difficulty, max_turns=self.settings.max_turns)  # type: ignore[arg-type]
        state = engine.initial_state()
        row = uow.sessions.create(
            user_id=actor.id, trainee=trainee, persona_slug=persona.slug, persona_version=version_hash(persona),
            difficulty=difficulty, seed=secrets.randbelow(2**31) if seed is None else seed,
            backend=backend_name, model=customer.model, state=state,
            mode="certification" if attempt_id is not None else "practice", attempt_id=attempt_id, rush_id=rush_id,
        )
        return Opening(row.id, opening(engine, customer, state, row.seed))

    def open(self, started: Opening) -> TurnStream:
        """Stream the customer's opening line of a chat :meth:`start_in` created (and its caller committed)."""
        return self._stream(started.session_id, started.turn)

    def send(self, actor: Actor, session_id: int, text: str, *, via_attempt: bool = False) -> TurnStream:
        """Store the agent's message, then stream the customer's reply."""
        cleaned = text.strip()
        if not cleaned:
            raise PracticeError("Type a message before sending.")
        if "\x00" in text:
            raise PracticeError("Your message contains a NUL character, which cannot be stored. Nothing was sent: "
                                "remove it and send again.")
        limit = self.settings.max_message_chars
        if len(text) > limit:
            raise PracticeError(
                f"Your message is {len(text):,} characters; the limit is {limit:,}. "
                "Nothing was sent: shorten it and send again."
            )
        with self.work() as uow:
            row = self._active(uow, actor, session_id, via_attempt, refused="your message was not sent")
            if not row.messages:
                raise PracticeError("The customer has not opened the chat yet: retry the opening first.")
            if row.messages[-1].role == "agent":
                raise PracticeError("The customer has not answered your last message yet: retry that reply first.")
            _, engine, state = self._load(row)
            turn = step(engine, self._backend(row.backend), state, text, history=self._history(row), seed=row.seed)
            uow.sessions.add_message(session_id=row.id, role="agent", content=text,
                                     frustration=turn.state.frustration)
            uow.commit()
        return self._stream(session_id, turn)

    def retry(self, actor: Actor, session_id: int, *, via_attempt: bool = False) -> TurnStream:
        """Produce the customer's missing reply (after a model failure or a crash)."""
        with self.work() as uow:
            row = self._active(uow, actor, session_id, via_attempt)
            _, engine, state = self._load(row)
            customer = self._backend(row.backend)
            if not row.messages:
                return self._stream(row.id, opening(engine, customer, state, row.seed))
            if row.messages[-1].role != "agent":
                raise PracticeError("Nothing to retry: the customer has already answered.")
            history = self._history(row)
            turn = step(engine, customer, state, row.messages[-1].content, history=history[:-1], seed=row.seed)
        return self._stream(session_id, turn)

    def ending_state(self, actor: Actor, session_id: int) -> str:
        """The state the chat would have once the trainee ends it (checked, not stored): for end-and-grade."""
        with self.work() as uow:
            row = self._active(uow, actor, session_id)
            _, engine, state = self._load(row)
            return engine.end_by_agent(state).model_dump_json()

    def end_and_grade(self, actor: Actor, session_id: int) -> StoredGrade | None:
        """The trainee ends the chat and it is graded: both in one transaction, so a crash leaves either a running
        chat or an ended one with its grade, never an ended chat without one. A chat without a single message
        from the trainee has nothing to grade: it is just ended (and None returned)."""
        if not any(m.role == "agent" for m in self.get(actor, session_id).messages):
            self.end(actor, session_id)
            return None
        end_state = self.ending_state(actor, session_id)
        return self.grading.grade_session(actor, session_id, end_state_json=end_state)

    def end(self, actor: Actor, session_id: int, *, via_attempt: bool = False) -> SessionView:
        """The trainee ends the chat."""
        with self.work() as uow:
            self.end_in(uow, actor, session_id, via_attempt=via_attempt)
            uow.commit()
        return self.get(actor, session_id)

    def end_in(self, uow: UnitOfWork, actor: Actor, session_id: int, *, via_attempt: bool = False) -> None:
        """End the chat in the caller's unit of work (which commits it): for a use case that ends chats among
        other changes, such as ending a certification attempt."""
        row = self._active(uow, actor, session_id, via_attempt)
        _, engine, state = self._load(row)
        uow.sessions.save_state(session_id=row.id, state=engine.end_by_agent(state), ended_reason="agent_ended")

    def get(self, actor: Actor, session_id: int) -> SessionView:
        with self.work() as uow:
            row = uow.sessions.get(session_id)
            return self.view_of(require(row, session_id, row is not None and can_read(actor, row, self.settings)))

    def unfinished(self, actor: Actor, limit: int = 10) -> list[SessionSummary]:
        """The actor's own unfinished chats."""
        if actor.id is None:
            return []
        with self.work() as uow:
            rows = uow.sessions.recent(user_id=actor.id, status="active", limit=limit)
            return [self._summary(r) for r in rows]

    # -- internals ------------------------------------------------------------------------
    def _backend(self, name: str) -> CustomerBackend:
        try:
            return make_backend(name, self.settings)
        except BackendUnavailable as exc:
            raise PracticeError(f"The customer backend is not available: {exc}.") from None

    def _active(self, uow: UnitOfWork, actor: Actor, session_id: int, via_attempt: bool = False, *,
                refused: str = "nothing was changed") -> PracticeSession:
        """The chat, if the actor may write into it and it is still running. ``refused`` says what did not happen
        when it has ended (a stale tab, another tab, or the customer ended it)."""
        row = uow.sessions.get(session_id)
        row = require(row, session_id, row is not None and can_change(actor, row))
        if row.attempt_id is not None and not via_attempt and actor.role != "system":
            raise PracticeError("This chat belongs to a certification attempt: continue it on the Certification "
                                "page.")
        if row.status != "active":
            raise PracticeError(f"This chat has ended (in another tab, or by the customer), so {refused}. "
                                "Start a new chat to keep practising.")
        return row

    def _load(self, row: PracticeSession) -> tuple[Persona, Engine, CustomerState]:
        """The session's own persona version, even if newer ones were published since it started."""
        try:
            persona = self.catalog.pinned(row.persona_slug, row.persona_version)
        except KeyError as exc:
            raise PracticeError(str(exc.args[0])) from None
        engine = make_engine(persona, row.difficulty, max_turns=self.settings.max_turns)  # type: ignore[arg-type]
        return persona, engine, state_of(row)

    @staticmethod
    def _history(row: PracticeSession) -> tuple[Turn, ...]:
        return tuple(Turn(m.role, m.content, m.speaker) for m in row.messages)

    def _stream(self, session_id: int, customer: CustomerTurn | DisputeTurn) -> TurnStream:
        turn = TurnStream(iter(()))
        turn._chunks = self._run(session_id, customer, turn)
        return turn

    def _run(self, session_id: int, customer: CustomerTurn | DisputeTurn, turn: TurnStream) -> Iterator[str]:
        spoken: list[Spoken] = []
        try:
            for speech in customer.speeches():
                if spoken:
                    yield "\n\n"
                yield from speech.stream
                spoken.append(speech)
        except LLMError as exc:
            turn.error = (f"The customer did not open the chat: {exc}. Press Retry to try again."
                          if customer.outcome is None
                          else f"The customer did not answer: {exc}. Your message is saved; press Retry.")
            turn.session = self._get(session_id)
            return
        state = customer.state_after()
        streams: list[ReplyStream] = [s.stream for s in spoken]
        with self.work() as uow:  # every customer message of the turn, or none
            for speech in spoken:
                uow.sessions.add_message(session_id=session_id, role="customer", content=speech.stream.text,
                                         frustration=speech.frustration, state=state, speaker=speech.speaker)
            uow.sessions.save_state(session_id=session_id, state=state, ended_reason=state.ended_reason,
                                    tokens=(sum(s.tokens_in for s in streams), sum(s.tokens_out for s in streams)))
            uow.commit()
        turn.guard = next((s.guard for s in streams if s.guard), None)
        view = self._get(session_id)
        if view.active and view.tokens_in + view.tokens_out >= self.settings.max_session_tokens:
            limit = self.settings.max_session_tokens
            with self.work() as uow:
                uow.sessions.save_state(session_id=session_id, state=state, ended_reason="time")
                uow.commit()
            turn.error = (f"This chat reached its budget of {limit:,} model tokens and has ended. "
                          "Your report is ready.")
            view = self._get(session_id)
        turn.session = view
        if not view.active:  # the customer ended it: graded now, so trainers and analytics see it at once
            try:
                self.grading.grade_if_ended(session_id)
            except (PracticeError, SQLAlchemyError) as exc:  # the chat is stored; its report grades it when opened
                log.warning("grading chat %s after the customer ended it failed: %s", session_id, exc)

    def _get(self, session_id: int) -> SessionView:
        """Internal read after a write the caller was already allowed to make."""
        with self.work() as uow:
            row = uow.sessions.get(session_id)
            assert row is not None
            return self.view_of(row)

    def view_of(self, row: PracticeSession) -> SessionView:
        """The page's view of a chat row the caller was allowed to read."""
        state = state_of(row)
        persona = self.catalog.personas.get(row.persona_slug)
        return SessionView(
            id=row.id, trainee=row.trainee, persona_slug=row.persona_slug,
            persona_name=persona.name if persona else row.persona_slug,
            persona_title=persona.title if persona else row.persona_slug,
            difficulty=row.difficulty, backend=row.backend, model=row.model, active=row.status == "active",
            ended_reason=row.ended_reason, frustration=state.frustration, stage=state.stage.value,
            started_at=row.started_at,
            messages=tuple(MessageView(m.seq, m.role, m.content, m.frustration, m.speaker) for m in row.messages),
            tokens_in=row.tokens_in, tokens_out=row.tokens_out, mode=row.mode, branch_of=row.parent_id,
            branch_turn=None if row.branch_seq is None else turn_after(
                m.role for m in row.messages if m.seq < row.branch_seq),
            parties=self._parties(row.persona_slug, state), rush_id=row.rush_id,
        )

    def _parties(self, slug: str, state: CustomerState) -> tuple[PartyView, ...]:
        persona = self.catalog.personas.get(slug)
        if persona is None or persona.dispute is None or len(state.parties) != 2:
            return ()
        names = (persona.name, persona.dispute.second.name)
        return tuple(PartyView(n, s.frustration, s.ended_reason) for n, s in zip(names, state.parties, strict=True))

    def _summary(self, row: PracticeSession) -> SessionSummary:
        persona = self.catalog.personas.get(row.persona_slug)
        return SessionSummary(row.id, persona.name if persona else row.persona_slug, row.difficulty,
                              row.started_at, sum(1 for m in row.messages if m.role == "agent"), row.status)

