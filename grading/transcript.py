"""Transcripts to grade: from a stored session or a JSON file (the DESIGN.md format)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from signals import OfferPolicy

Role = Literal["customer", "agent"]


@dataclass(frozen=True)
class Line:
    role: Role
    content: str
    #: Which customer spoke, in a chat with two customers.
    speaker: str | None = None


@dataclass(frozen=True)
class Transcript:
    """``persona`` is a persona slug or, for outside transcripts, a free-text hint."""

    persona: str
    messages: tuple[Line, ...]
    #: A dispute: the customers who accepted a resolution, from their stored states (``None``: not known, as for a
    #: transcript file; the grader then looks for a resolution proposed to both).
    accepted_by: tuple[str, ...] | None = None

    def agent_turns(self) -> list[tuple[int, Line]]:
        """Agent messages with their 1-based position in the transcript."""
        return [(i, m) for i, m in enumerate(self.messages, start=1) if m.role == "agent"]

    def previous_customer(self, position: int) -> str | None:
        for m in reversed(self.messages[: position - 1]):
            if m.role == "customer":
                return m.content
        return None


@dataclass(frozen=True)
class GradingContext:
    """What the grader knows about the customer: offer limits and language needs."""

    policy: OfferPolicy | None = None
    language_barrier: bool = False
    max_sentence_words: int = 20
    #: A dispute: both customers' names (empty with one customer).
    parties: tuple[str, ...] = ()


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Role
    content: Annotated[str, Field(max_length=20_000)]
    speaker: Annotated[str, Field(max_length=80)] | None = None


class _TranscriptFile(BaseModel):
    model_config = ConfigDict(extra="ignore")
    persona: Annotated[str, Field(min_length=1, max_length=200)]
    messages: Annotated[list[_Message], Field(min_length=1, max_length=2000)]


def parse_transcript(raw: object, name: str) -> Transcript:
    """Validate a decoded JSON transcript; ``ValueError`` with one line naming the problem."""
    try:
        parsed = _TranscriptFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"]) or "(top level)"
        raise ValueError(f"{name}: {loc}: {first['msg']}") from None
    if not any(m.role == "agent" for m in parsed.messages):
        raise ValueError(f"{name}: messages: no agent messages to grade")
    return Transcript(parsed.persona, tuple(Line(m.role, m.content, m.speaker) for m in parsed.messages))
