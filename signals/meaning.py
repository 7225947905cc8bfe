"""Which of a few described items a sentence is about, by meaning: the nearest labelled example wins.

The customer uses it to tell which hidden fact an agent's question asks for (the persona's example questions and
``asked_by`` words are the examples) and which persona offer a sentence names.  A keyword still counts, as a bonus
on its item's similarity, so a question that names the topic ("your contract?") is matched even when it is short;
examples of questions that ask for none of the items (``negatives``) stop near misses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from signals.encoder import Encoder
from signals.kinds import Source

#: An item is meant when its nearest example is at least this similar (cosine of all-MiniLM-L6-v2 vectors) ...
THRESHOLD = 0.45
#: ... and at least this much closer than the nearest negative example.
NEGATIVE_MARGIN = 0.05
#: What a keyword adds to its item's similarity.
KEYWORD_BONUS = 0.15


@dataclass(frozen=True)
class Item:
    """Something a sentence can be about: example sentences that mean it, and words that name it."""

    id: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    id: str
    similarity: float
    source: Source


def keyword_hit(text: str, keywords: Sequence[str]) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(k)}(?!\w)", text, re.IGNORECASE) for k in keywords)


def match_keywords(text: str, items: Sequence[Item]) -> Match | None:
    """The regular-expression fallback: the first item one of whose keywords the text contains."""
    for item in items:
        if keyword_hit(text, item.keywords):
            return Match(item.id, 1.0, "rule")
    return None


def match_meaning(
    encoder: Encoder, text: str, items: Sequence[Item], negatives: Sequence[str] = (), *,
    threshold: float = THRESHOLD,
) -> Match | None:
    """The item ``text`` is closest to by meaning, or None when it is near none of them (or nearer a negative)."""
    examples = [(i, e) for i, item in enumerate(items) for e in (*item.examples, *item.keywords)]
    if not examples or not text.strip():
        return None
    vector = encoder.encode([text])[0]
    similarity = encoder.encode([e for _, e in examples]) @ vector
    best = np.full(len(items), -1.0)
    for (i, _), value in zip(examples, similarity, strict=True):
        best[i] = max(best[i], float(value))
    for i, item in enumerate(items):
        if keyword_hit(text, item.keywords):
            best[i] += KEYWORD_BONUS
    winner = int(np.argmax(best))
    nearest_negative = float(np.max(encoder.encode(list(negatives)) @ vector)) if negatives else -1.0
    if best[winner] < threshold or best[winner] < nearest_negative + NEGATIVE_MARGIN:
        return None
    return Match(items[winner].id, round(float(best[winner]), 3), "model")
