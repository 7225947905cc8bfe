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

    @property
    def ended(self) -> bool:
        return self.ended_reason is not None
