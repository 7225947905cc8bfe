"""Rush hour: a customer left unanswered writes again, more frustrated, and in the end leaves (workshop: high-stress
peak times, backlog: communicating the delay beats silence).

Pure: the caller passes the chat's messages (role, time, whether an agent message kept the customer posted) and the
time now. A customer is waiting from the first customer message after the agent's last one. After ``patience``
seconds unanswered they write again (a *nudge*, from ``waiting.yaml``) and their frustration rises by ``RISE`` times
the persona's sensitivity at that difficulty; the third time they leave (the chat ends, walked away). A customer whose
last message from the agent kept them posted waits ``POSTED_PATIENCE`` times longer.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import yaml

from customer.state import CustomerState, Stage

RISE = 1.0
POSTED_PATIENCE = 2.0
#: The nudge that is the customer leaving.
LEAVE_AT = 3
LINES = Path(__file__).with_name("waiting.yaml")


@dataclass(frozen=True)
class Said:
    """One message of a chat as waiting reads it."""

    role: str
    at: datetime
    posted: bool = False


@dataclass(frozen=True)
class Nudge:
    """What a customer left waiting writes, and their state after it."""

    text: str
    state: CustomerState
    count: int


def waits(messages: Sequence[Said], until: datetime) -> list[float]:
    """Every wait in seconds: from a customer message the agent had not answered to the agent's next message (or
    ``until``, for a customer still waiting)."""
    out: list[float] = []
    since: datetime | None = None
    for m in messages:
        if m.role == "customer" and since is None:
            since = m.at
        elif m.role == "agent" and since is not None:
            out.append(max(0.0, (m.at - since).total_seconds()))
            since = None
    if since is not None:
        out.append(max(0.0, (until - since).total_seconds()))
    return out


def waiting_since(messages: Sequence[Said]) -> datetime | None:
    """When the customer started waiting for the agent, or None when the agent spoke last (or nobody yet)."""
    since = None
    for m in messages:
        since = (since or m.at) if m.role == "customer" else None
    return since


def nudges(messages: Sequence[Said]) -> int:
    """Times the customer wrote again while waiting, since the agent's last message."""
    tail = 0
    for m in reversed(messages):
        if m.role != "customer":
            break
        tail += 1
    return max(0, tail - 1)


def last_posted(messages: Sequence[Said]) -> bool:
    """The agent's last message kept the customer posted."""
    last_agent = next((m for m in reversed(messages) if m.role == "agent"), None)
    return last_agent is not None and last_agent.posted


def patience_now(messages: Sequence[Said], patience: float) -> float:
    """Seconds this customer waits unanswered before writing again: longer when the agent last kept them posted."""
    return patience * (POSTED_PATIENCE if last_posted(messages) else 1.0)


def due(messages: Sequence[Said], now: datetime, patience: float) -> bool:
    """The customer has waited unanswered past their patience since their own last message."""
    if not messages or messages[-1].role != "customer":
        return False
    return (now - messages[-1].at).total_seconds() >= patience_now(messages, patience)


@cache
def _lines() -> dict[str, tuple[str, ...]]:
    raw = yaml.safe_load(LINES.read_text(encoding="utf-8"))
    return {k: tuple(v) for k, v in raw.items()}


def nudge(state: CustomerState, messages: Sequence[Said], *, sensitivity: float, seed: int) -> Nudge:
    """The customer writes again: one more nudge, frustration up; the third time they leave."""
    count = nudges(messages) + 1
    new = state.model_copy(deep=True)
    new.frustration = round(min(10.0, state.frustration + RISE * sensitivity), 2)
    key = "first" if count == 1 else "second" if count < LEAVE_AT else "leaving"
    if count >= LEAVE_AT:
        new.stage, new.ended_reason = Stage.CLOSED, "walked_away"
    bank = _lines()[key]
    text = bank[random.Random(f"{seed}:{len(messages)}").randrange(len(bank))]
    return Nudge(text, new, count)
