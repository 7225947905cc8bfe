"""One customer turn, one owner: react to the agent's message, reply, and record the lines used.

The services, the scenario test chat, the realism suite, the benches and the tests take their turns here instead
of assembling engine, backend and state each time. The reply starts only when asked for (``reply()``), so a service
can store the agent's message and let go of its database connection before a model is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from customer.backend import CustomerBackend, ReplyContext, ReplyStream, Turn
from customer.engine import CustomerEngine, TurnOutcome
from customer.state import CustomerState


@dataclass
class CustomerTurn:
    context: ReplyContext
    backend: CustomerBackend
    _stream: ReplyStream | None = field(default=None, repr=False)

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

    def state_after(self) -> CustomerState:
        """The state after the reply (the lines it used recorded): once the reply has been read to the end."""
        state = self.context.state.model_copy(deep=True)
        state.used_lines += self.reply().used_lines
        return state


def opening(engine: CustomerEngine, backend: CustomerBackend, state: CustomerState, seed: int) -> CustomerTurn:
    """The customer opens the chat."""
    return CustomerTurn(ReplyContext(engine.persona, state, None, (), seed), backend)


def step(engine: CustomerEngine, backend: CustomerBackend, state: CustomerState, agent_text: str, *,
         history: Sequence[Turn], seed: int) -> CustomerTurn:
    """The agent says ``agent_text`` after ``history`` (the conversation before it): the customer reacts now and
    replies when asked."""
    previous = next((t.content for t in reversed(history) if t.role == "customer"), None)
    outcome = engine.react(state, agent_text, previous_customer=previous)
    context = ReplyContext(engine.persona, outcome.state, outcome, (*history, Turn("agent", agent_text)), seed)
    return CustomerTurn(context, backend)
