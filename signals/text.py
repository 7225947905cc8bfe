"""Splitting text into sentences and clauses, keeping offsets so every quote is a verbatim slice."""

from __future__ import annotations

import re
from collections.abc import Iterable

from signals import patterns as p

CLAUSE_SPLIT = re.compile(r",?\s+but\s+|;\s*|,\s+(?:and\s+)?instead\s+|\s+-\s+", re.IGNORECASE)


def sentences(text: str) -> list[tuple[int, str]]:
    """Split into sentences, keeping each one's start offset."""
    out: list[tuple[int, str]] = []
    pos = 0
    for part in p.SENTENCE_SPLIT.split(text):
        idx = text.find(part, pos)
        if part.strip():
            out.append((idx, part))
        pos = idx + len(part)
    return out


def clauses(text: str) -> Iterable[tuple[int, str]]:
    """Sentences split further at "but", ";" and dashes: "I can't do X, but I can do Y" is two clauses."""
    for start, sentence in sentences(text):
        pos = 0
        for part in CLAUSE_SPLIT.split(sentence):
            idx = sentence.find(part, pos)
            if part.strip():
                yield start + idx, part
            pos = idx + len(part)


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis when longer (for quoting it)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def content_words(text: str) -> set[str]:
    return {w.lower() for w in p.WORD.findall(text) if len(w) >= 4 and w.lower() not in p.STOPWORDS}
