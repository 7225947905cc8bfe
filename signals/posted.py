"""Whether a message keeps a waiting customer posted (workshop: high-stress peak times, backlog: communicating the
delay beats silence).

Keeping someone posted is owning the wait ("sorry for the wait", "thanks for holding"), saying the case is still
being worked on or what is happening meanwhile, or giving a time to come back ("back in two minutes"). It is not:
an answer, a question or an instruction that ignores the wait, sympathy for the problem itself, thanks for patience
with something else (a router restarting), or an empty "you'll have to wait".

Read by a classifier over the message's meaning and words (trained by ``python -m signals.posted_train`` on
``tests/data/rush/posted_tuning.jsonl`` only; ``python -m bench.rush`` measures the held-out set). Without the
encoder, the phrases below alone decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from signals.classifier import StoredClassifier
from signals.text import sentences

LABEL = "kept_posted"
_I = re.IGNORECASE
#: Owning the wait, saying the case is in hand, or a time to come back: the phrase reading of keeping posted.
POSTED = re.compile(
    r"\b(?:sorry|apologi[sz]e|apologies|thanks?|thank you)\b[^.!?]{0,25}\b(?:wait(?:ing)?|delay|hold(?:ing)?|"
    r"keeping you|taking (?:so )?long)\b"
    r"|\b(?:bear with me|hang (?:on|tight)|one (?:moment|sec(?:ond)?|minute)|(?:two|2|few|couple of) (?:more )?"
    r"(?:secs?|seconds|minutes|mins?)\b|back (?:with|to) you|be right (?:back|with you)|I(?:'ll| will) come back)"
    r"|\b(?:still|now) (?:checking|looking|working|on (?:it|your)|busy|waiting on|here)\b"
    r"|\b(?:you(?:'re| are) next|with another customer|several customers|(?:two|three|other) customers)\b", _I)


@dataclass(frozen=True)
class Posted:
    """The sentence that keeps the customer posted and how sure the reader is (1.0 for a phrase rule)."""

    quote: str
    confidence: float = 1.0
    source: str = "rule"


_classifier = StoredClassifier("posted")


def by_rule(text: str) -> Posted | None:
    """The first sentence the phrases read as keeping the customer posted."""
    return next((Posted(s.strip()) for _, s in sentences(text) if POSTED.search(s)), None)


def kept_posted(text: str) -> Posted | None:
    """Whether ``text``, sent to a customer who was waiting, keeps them posted, and the sentence that does."""
    from signals import meaning_encoder  # the package loads the encoder once for every reader

    encoder, model = meaning_encoder(), _classifier.get()
    if encoder is None or model is None:
        return by_rule(text)
    parts = [s for _, s in sentences(text)] or [text]
    texts = [text, *parts]
    probabilities = model.probabilities(texts, encoder.encode(texts))[:, model.column(LABEL)]
    if probabilities[0] < model.threshold(LABEL):
        return None
    best = max(range(len(parts)), key=lambda i: probabilities[i + 1])
    return Posted(parts[best].strip(), float(probabilities[0]), "model")
