"""The labelled sentences the classifiers learn from, and the held-out set they are measured on.

``signals/data/train/<label>.yaml`` hold agent sentences, each with every label it shows (so a sentence positive for
one label is a negative for the others it does not show); ``customer_threat.yaml`` holds customer sentences for the
threat label; ``offer_terms.yaml`` holds phrasings of each persona's offers (used to measure offer matching).
``signals/data/heldout/`` was written by another author before any classifier was trained and is never tuned on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data"
TRAIN = DATA / "train"
HELDOUT = DATA / "heldout"
#: Questions an agent asks that no hidden fact answers (near misses), for matching questions to facts. Kept apart from
#: ``train/`` (no classifier learns from them, and the classifiers' data digest does not change with them).
OTHER_QUESTIONS = DATA / "questions" / "other_questions.yaml"

#: Labels learned from agent sentences (the glossary the data authors wrote to).
AGENT_LABELS: tuple[str, ...] = (
    "apology", "non_apology", "acknowledgement", "paraphrase", "question", "common_ground", "check_understanding",
    "closing", "ownership", "next_step_time", "alternative", "offer", "refusal", "limit_with_reason",
    "policy_hiding", "caving", "impossible_promise", "boundary", "calm_down", "canned", "blame", "sarcasm", "insult",
    "jargon", "grader_directed",
)
#: Labels learned from customer sentences.
CUSTOMER_LABELS: tuple[str, ...] = ("threat",)
CUSTOMER_FILES = frozenset({"customer_threat.yaml"})
SPECIAL_FILES = frozenset({"offer_terms.yaml"}) | CUSTOMER_FILES


@dataclass(frozen=True)
class Example:
    """One sentence and every label it shows."""

    text: str
    labels: frozenset[str]


@dataclass(frozen=True)
class OfferPhrasing:
    """One way of offering (or refusing) a persona's offer term, identified by the term's text."""

    persona: str
    term: str
    text: str
    offers: bool


def _read(path: Path) -> list[Example]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [Example(str(e["text"]).strip(), frozenset(str(x) for x in (e.get("shows") or [])))
            for e in loaded.get("examples", []) if str(e.get("text", "")).strip()]


def _merge(examples: list[Example]) -> list[Example]:
    """The same sentence written twice keeps the union of its labels (first occurrence order)."""
    merged: dict[str, set[str]] = {}
    for e in examples:
        merged.setdefault(e.text, set()).update(e.labels)
    return [Example(t, frozenset(labels)) for t, labels in merged.items()]


def agent_examples(folder: Path = TRAIN) -> list[Example]:
    files = sorted(f for f in folder.glob("*.yaml") if f.name not in SPECIAL_FILES)
    return _merge([e for f in files for e in _read(f)])


def customer_examples(folder: Path = TRAIN) -> list[Example]:
    return _merge([e for name in sorted(CUSTOMER_FILES) if (folder / name).exists() for e in _read(folder / name)])


def offer_phrasings(folder: Path = TRAIN) -> list[OfferPhrasing]:
    path = folder / "offer_terms.yaml"
    if not path.exists():
        return []
    out = []
    for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        for key, offers in (("offers", True), ("refuses", False)):
            out += [OfferPhrasing(str(entry["persona"]), str(entry["term"]), str(t), offers)
                    for t in entry.get(key) or []]
    return out


def heldout_examples() -> list[Example]:
    path = HELDOUT / "sentences.yaml"
    return _merge(_read(path)) if path.exists() else []


def data_digest(folder: Path = TRAIN) -> str:
    """A hash of every training file, stored with the weights so stale weights are noticed."""
    digest = hashlib.sha256()
    for f in sorted(folder.glob("*.yaml")):
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def not_about_items() -> tuple[str, ...]:
    """Questions that ask for none of a persona's hidden facts (checks, offers, small talk, near misses)."""
    if not OTHER_QUESTIONS.exists():
        return ()
    loaded = yaml.safe_load(OTHER_QUESTIONS.read_text(encoding="utf-8")) or {}
    return tuple(str(q).strip() for q in loaded.get("questions") or [] if str(q).strip())
