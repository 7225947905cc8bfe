"""The typed records every layer shares: signal kinds, one piece of evidence, offer policies, a detection."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal


class SignalKind(StrEnum):
    """What one span of an agent message shows."""

    APOLOGY = "apology"
    NON_APOLOGY = "non_apology"
    ACKNOWLEDGEMENT = "acknowledgement"
    PARAPHRASE = "paraphrase"
    CALM_DOWN = "calm_down"
    CANNED = "canned"
    BLAME = "blame"
    POLICY_HIDING = "policy_hiding"
    OWNERSHIP = "ownership"
    NEXT_STEP_TIME = "next_step_time"
    QUESTION = "question"
    ALTERNATIVE = "alternative"
    OFFER = "offer"
    REFUSAL = "refusal"
    LIMIT_WITH_REASON = "limit_with_reason"
    COMMON_GROUND = "common_ground"
    CONCESSION_BEYOND_LIMITS = "concession_beyond_limits"
    CAVED_TO_THREAT = "caved_to_threat"
    IMPOSSIBLE_PROMISE = "impossible_promise"
    BOUNDARY = "boundary"
    CHECK_UNDERSTANDING = "check_understanding"
    CLOSING = "closing"
    INSULT = "insult"
    SARCASM = "sarcasm"
    JARGON = "jargon"
    LONG_SENTENCE = "long_sentence"
    NO_PROGRESS = "no_progress"


NEGATIVE_KINDS = frozenset(
    {
        SignalKind.NON_APOLOGY, SignalKind.CALM_DOWN, SignalKind.CANNED, SignalKind.BLAME,
        SignalKind.POLICY_HIDING, SignalKind.CONCESSION_BEYOND_LIMITS, SignalKind.CAVED_TO_THREAT,
        SignalKind.IMPOSSIBLE_PROMISE, SignalKind.INSULT, SignalKind.SARCASM, SignalKind.JARGON,
        SignalKind.LONG_SENTENCE, SignalKind.NO_PROGRESS,
    }
)
#: Kinds that move a conversation forward; a message with none of them is "no progress".
PROGRESS_KINDS = frozenset(
    {
        SignalKind.APOLOGY, SignalKind.ACKNOWLEDGEMENT, SignalKind.PARAPHRASE, SignalKind.OWNERSHIP,
        SignalKind.NEXT_STEP_TIME, SignalKind.QUESTION, SignalKind.ALTERNATIVE, SignalKind.OFFER,
        SignalKind.LIMIT_WITH_REASON, SignalKind.COMMON_GROUND, SignalKind.BOUNDARY,
    }
)

Source = Literal["rule", "model", "context"]


@dataclass(frozen=True)
class Signal:
    """One piece of evidence.

    Attributes:
        kind: what the span shows.
        quote: the exact text of the span (a slice of the message).
        start / end: character offsets of the quote in the message.
        detail: extra facts, e.g. the offer id or the discount percent.
        confidence: the classifier's probability (1.0 for an exact-phrase rule).
        source: ``model`` (sentence classifier), ``rule`` (exact phrase) or ``context`` (the conversation around it).
    """

    kind: SignalKind
    quote: str
    start: int
    end: int
    detail: str = ""
    confidence: float = 1.0
    source: Source = "rule"

    @property
    def positive(self) -> bool:
        return self.kind not in NEGATIVE_KINDS

    @property
    def label(self) -> str:
        """How the evidence names its origin, e.g. ``apology (model, 0.93)``."""
        if self.source == "model":
            return f"{self.kind.value} (model, {self.confidence:.2f})"
        return f"{self.kind.value} ({self.source})"


@dataclass(frozen=True)
class OfferTerm:
    """Something the agent might offer, as a persona describes it."""

    id: str
    keywords: tuple[str, ...]
    allowed: bool
    fair: bool = False
    text: str = ""
    #: Other ways an agent might say it (matched by meaning).
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class OfferPolicy:
    """What the company can and cannot offer in one scenario."""

    terms: tuple[OfferTerm, ...] = ()
    max_discount_percent: int = 0


@dataclass(frozen=True)
class Detection:
    """All signals found in one agent message, in text order."""

    signals: tuple[Signal, ...] = field(default_factory=tuple)

    @property
    def kinds(self) -> frozenset[SignalKind]:
        return frozenset(s.kind for s in self.signals)

    def has(self, kind: SignalKind) -> bool:
        return any(s.kind == kind for s in self.signals)

    def of(self, kind: SignalKind) -> list[Signal]:
        return [s for s in self.signals if s.kind == kind]

    @property
    def questions(self) -> list[str]:
        return [s.quote for s in self.of(SignalKind.QUESTION)]

    @property
    def offer_ids(self) -> list[str]:
        """Ids of the persona's offers found (``generic:<word>`` for offers the persona does not list)."""
        return [s.detail for s in self.signals if s.kind == SignalKind.OFFER and s.detail]
