"""Plain values the service layer hands to pages and CLIs (no ORM objects leak out)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


class PracticeError(Exception):
    """A refusal or failure with a message fit to show the trainee as is."""


class DatabaseUnavailable(PracticeError):
    """The database stayed busy past its bounded wait, or cannot be reached: said plainly, never a raw error."""


@dataclass(frozen=True)
class PersonaCard:
    slug: str
    name: str
    title: str
    summary: str
    start_frustration: dict[str, float]


def turn_after(roles: Iterable[str]) -> int:
    """The trainee's turn that follows messages with these ``roles`` (turns count the trainee's messages, as the
    chat page does)."""
    return sum(1 for role in roles if role == "agent") + 1


@dataclass(frozen=True)
class MessageView:
    seq: int
    role: str
    content: str
    frustration: float
    #: Which customer spoke, in a chat with two customers.
    speaker: str | None = None


@dataclass(frozen=True)
class PartyView:
    """One customer of a chat with two: their name and how frustrated they are now."""

    name: str
    frustration: float
    ended_reason: str | None


@dataclass(frozen=True)
class SessionView:
    id: int
    trainee: str
    persona_slug: str
    persona_name: str
    persona_title: str
    difficulty: str
    backend: str
    model: str | None
    active: bool
    ended_reason: str | None
    frustration: float
    stage: str
    started_at: datetime
    messages: tuple[MessageView, ...]
    tokens_in: int = 0
    tokens_out: int = 0
    mode: str = "practice"
    #: A branch: the chat it was taken from, and the trainee's turn where it left it.
    branch_of: int | None = None
    branch_turn: int | None = None
    #: A dispute: both customers (empty with one customer).
    parties: tuple[PartyView, ...] = ()
    #: A chat of a rush hour: the rush it belongs to.
    rush_id: int | None = None

    @property
    def awaiting_reply(self) -> bool:
        """The customer owes a reply (the last stored message is the agent's, or none yet)."""
        return self.active and (not self.messages or self.messages[-1].role == "agent")

    @property
    def agent_turns(self) -> int:
        return sum(1 for m in self.messages if m.role == "agent")


@dataclass(frozen=True)
class SessionSummary:
    id: int
    persona_name: str
    difficulty: str
    started_at: datetime
    turns: int
    status: str
