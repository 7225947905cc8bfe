"""The customer's state for one session: a small serialisable value."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

EndReason = Literal["resolved", "walked_away", "time", "agent_ended"]


class Stage(StrEnum):
    OPENING = "opening"
    VENTING = "venting"
    DEMANDING = "demanding"
    NEGOTIATING = "negotiating"
    RESOLVING = "resolving"
    CLOSED = "closed"


def band(frustration: float) -> Literal["low", "medium", "high"]:
    """Frustration band used to pick lines: low 0-3, medium 4-6, high 7-10."""
    if frustration < 3.5:
        return "low"
    if frustration < 6.5:
        return "medium"
    return "high"


class CustomerState(BaseModel):
    """Where the conversation stands, from the customer's side.

    Attributes:
        frustration: 0 (calm) to 10 (about to walk away).
        stage: conversation stage (see :class:`Stage`).
        revealed_facts: ids of hidden facts already given to the agent.
        outstanding_demands: ids of demands not yet met.
        offers_rejected: fair offers turned down so far (difficulty sets how many).
        turn: agent messages handled.
        strikes_at_max: consecutive agent turns that left frustration at 10.
        heard: the agent has acknowledged, apologised or paraphrased at least once.
        used_lines: keys of scripted lines already spoken (no verbatim repeats).
        ended_reason: set when the chat is over.
        promises: times the agent committed to for what happens, oldest first ("tomorrow", "by Friday").
        callbacks: times the agent committed to for a message (an email, a call back), oldest first.
        offers_made / offers_refused / offers_accepted: persona offer ids (or ``discount:N``) the agent offered, said
            no to, and the customer accepted.
        concessions: offers beyond the company's limits so far (the customer pushes back on the first ones).
        facts_asked_again: hidden facts the customer already restated once when asked again.
        agent_name: the name the agent introduced itself with.
        agreed_time: the time that came with the offer the customer accepted ("Saturday between 8 and 10"); later
            times for other steps ("I'll email you today") do not replace it.
        parties: in a dispute, each customer's own state (the first customer's, then the second's); the fields
            here then sum the chat up (the higher frustration, heard by both, ended for both or when one walked away).
    """

    model_config = ConfigDict(extra="forbid")

    frustration: float
    stage: Stage = Stage.OPENING
    revealed_facts: list[str] = []
    outstanding_demands: list[str] = []
    offers_rejected: int = 0
    turn: int = 0
    strikes_at_max: int = 0
    heard: bool = False
    used_lines: list[str] = []
    ended_reason: EndReason | None = None
    promises: list[str] = []
    callbacks: list[str] = []
    offers_made: list[str] = []
    offers_refused: list[str] = []
    offers_accepted: list[str] = []
    concessions: int = 0
    facts_asked_again: list[str] = []
    agent_name: str | None = None
    agreed_time: str | None = None
    parties: list[CustomerState] = []

    @property
    def promise(self) -> str | None:
        """The latest time the agent committed to."""
        return self.promises[-1] if self.promises else None

    @property
    def committed(self) -> str | None:
        """The time the customer holds the agent to: the agreed one, else the latest for what happens, else the
        latest for a message."""
        return self.agreed_time or self.promise or (self.callbacks[-1] if self.callbacks else None)

    @property
    def ended(self) -> bool:
        return self.ended_reason is not None
