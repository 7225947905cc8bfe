"""One customer turn, one owner: react to the agent's message, reply, and record the lines used.

The services, the scenario test chat, the realism suite, the benches and the tests take their turns here instead
of assembling engine, backend and state each time. The reply starts only when asked for (``reply()``), so a service
can store the agent's message and let go of its database connection before a model is called.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

from customer.backend import CustomerBackend, ReplyContext, ReplyStream, Turn
from customer.dispute import DisputeEngine, DisputeOutcome, Speech, join, split
from customer.engine import CustomerEngine, TriggerHit, TurnOutcome
from customer.state import CustomerState
from personas.schema import DifficultyName, Persona

Engine = CustomerEngine | DisputeEngine


def make_engine(persona: Persona, difficulty: DifficultyName, *, max_turns: int = 30) -> Engine:
    """The engine for ``persona``: one customer, or both customers of a dispute."""
    if persona.dispute is not None:
        return DisputeEngine(persona, difficulty, max_turns=max_turns)
    return CustomerEngine(persona, difficulty, max_turns=max_turns)


@dataclass
class Spoken:
    """One customer's message in a turn: who spoke (``None`` with one customer), the stream, their frustration."""

    speaker: str | None
    stream: ReplyStream
    frustration: float


@dataclass
class CustomerTurn:
    context: ReplyContext
    backend: CustomerBackend
    _stream: ReplyStream | None = field(default=None, repr=False)

    @property
    def state(self) -> CustomerState:
        """The customer's state after the agent's message, before the reply."""
        return self.context.state

    @property
    def outcome(self) -> TurnOutcome | None:
        """What the agent's message did (``None`` for the customer's opening)."""
        return self.context.outcome

    def reply(self) -> ReplyStream:
        """The customer's reply, started on first call."""
        if self._stream is None:
            self._stream = self.backend.reply(self.context)
        return self._stream

    def say(self) -> str:
        """The whole reply, waited for."""
        return self.reply().drain()

    def hits(self) -> tuple[TriggerHit, ...]:
        """The persona triggers the agent's message fired."""
        return self.outcome.hits if self.outcome else ()

    def speeches(self) -> Iterator[Spoken]:
        """The customer's messages of this turn (one): read each to the end before asking for the next."""
        yield Spoken(None, self.reply(), self.context.state.frustration)

    def state_after(self) -> CustomerState:
        """The state after the reply (the lines it used recorded): once the reply has been read to the end."""
        state = self.context.state.model_copy(deep=True)
        state.used_lines += self.reply().used_lines
        return state


@dataclass
class DisputeTurn:
    """Both customers of a dispute after one agent message (or opening the chat): each speaks in turn, and the second
    hears what the first just said."""

    engine: DisputeEngine
    backend: CustomerBackend
    state: CustomerState
    plan: tuple[Speech, ...]
    dispute: DisputeOutcome | None
    history: tuple[Turn, ...]
    seed: int
    _spoken: list[tuple[int, Spoken]] = field(default_factory=list, repr=False)

    @property
    def outcome(self) -> TurnOutcome | None:
        """``None`` for the opening; otherwise the first speaker's outcome (for callers that only ask whether)."""
        if self.dispute is None:
            return None
        return next((o for o in self.dispute.outcomes if o is not None), None)

    def hits(self) -> tuple[TriggerHit, ...]:
        """The persona triggers the agent's message fired, for either customer."""
        outcomes = self.dispute.outcomes if self.dispute else ()
        return tuple(h for o in outcomes if o is not None for h in o.hits)

    def speeches(self) -> Iterator[Spoken]:
        history = self.history
        parties = split(self.state)
        for speech in self.plan:
            i = speech.index
            outcome = None if self.dispute is None else self.dispute.outcomes[i]
            context = ReplyContext(self.engine.people[i], parties[i], outcome, history, self.seed + i, speech.cue)
            spoken = Spoken(self.engine.names[i], self.backend.reply(context), parties[i].frustration)
            self._spoken.append((i, spoken))
            yield spoken
            history = (*history, Turn("customer", spoken.stream.drain(), self.engine.names[i]))

    def state_after(self) -> CustomerState:
        first, second = split(self.state)
        for i, spoken in self._spoken:
            (first, second)[i].used_lines += spoken.stream.used_lines
        return join(first, second)


@overload
def opening(engine: CustomerEngine, backend: CustomerBackend, state: CustomerState, seed: int) -> CustomerTurn: ...


@overload
def opening(engine: Engine, backend: CustomerBackend, state: CustomerState,
            seed: int) -> CustomerTurn | DisputeTurn: ...


def opening(engine: Engine, backend: CustomerBackend, state: CustomerState, seed: int) -> CustomerTurn | DisputeTurn:
    """The customer opens the chat (both customers, in a dispute)."""
    if isinstance(engine, DisputeEngine):
        return DisputeTurn(engine, backend, state, engine.opening(), None, (), seed)
    return CustomerTurn(ReplyContext(engine.persona, state, None, (), seed), backend)


@overload
def step(engine: CustomerEngine, backend: CustomerBackend, state: CustomerState, agent_text: str, *,
         history: Sequence[Turn], seed: int) -> CustomerTurn: ...


@overload
def step(engine: Engine, backend: CustomerBackend, state: CustomerState, agent_text: str, *,
         history: Sequence[Turn], seed: int) -> CustomerTurn | DisputeTurn: ...


def step(engine: Engine, backend: CustomerBackend, state: CustomerState, agent_text: str, *,
         history: Sequence[Turn], seed: int) -> CustomerTurn | DisputeTurn:
    """The agent says ``agent_text`` after ``history`` (the conversation before it): the customer reacts now and
    replies when asked."""
    if isinstance(engine, DisputeEngine):
        both = engine.react(state, agent_text, history=history)
        return DisputeTurn(engine, backend, both.state, both.speeches, both, (*history, Turn("agent", agent_text)),
                           seed)
    previous = next((t.content for t in reversed(history) if t.role == "customer"), None)
    outcome = engine.react(state, agent_text, previous_customer=previous)
    context = ReplyContext(engine.persona, outcome.state, outcome, (*history, Turn("agent", agent_text)), seed)
    return CustomerTurn(context, backend)
