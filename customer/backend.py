"""One interface for every customer backend: a context in, a stream of text out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from customer.engine import TurnOutcome
from customer.state import CustomerState
from personas.schema import Persona


@dataclass(frozen=True)
class Turn:
    role: str  # "customer" | "agent"
    content: str
    #: Which customer spoke, in a chat with two (their name); ``None`` otherwise.
    speaker: str | None = None


CueMode = Literal["reply", "to_other", "sided_against"]


@dataclass(frozen=True)
class Cue:
    """In a dispute, how this customer's next message relates to the other customer.

    Attributes:
        other: the other customer's name.
        other_wants: what the other customer wants, in words.
        mode: ``reply`` to the agent; ``to_other``: speak to the other customer (the argument heats up);
            ``sided_against``: the agent just took the other customer's side.
        lines: the persona's lines for ``to_other`` and ``sided_against`` (the scripted customer picks one).
    """

    other: str
    other_wants: str
    mode: CueMode = "reply"
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReplyContext:
    """What a backend needs to write the customer's next message.

    Attributes:
        persona: who the customer is.
        state: the customer's state after the agent's message (or the initial state).
        outcome: what the agent's message did; ``None`` for the opening line.
        history: the conversation so far, oldest first, including the agent's message.
        seed: the session's seed (scripted choices are reproducible).
        cue: in a dispute, the other customer and how to address them; ``None`` with one customer.
    """

    persona: Persona
    state: CustomerState
    outcome: TurnOutcome | None
    history: tuple[Turn, ...]
    seed: int
    cue: Cue | None = None


@dataclass
class ReplyStream:
    """Chunks of the customer's reply; after iteration, the final text and bookkeeping.

    ``text`` can differ from the joined chunks when the in-character guard
    replaced a reply after it started streaming: the stored text is ``text``.
    """

    chunks: Iterator[str]
    text: str = ""
    used_lines: list[str] = field(default_factory=list)
    guard: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0

    def __iter__(self) -> Iterator[str]:
        return self.chunks

    def drain(self) -> str:
        """Consume the whole stream and return the final text."""
        for _ in self.chunks:
            pass
        return self.text


class CustomerBackend(Protocol):
    name: str
    model: str | None

    def reply(self, ctx: ReplyContext) -> ReplyStream:
        """Write the customer's next message for ``ctx`` (the opening when ``ctx.outcome`` is None)."""
        ...
