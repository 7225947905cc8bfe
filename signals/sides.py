"""Whether a mediator's message takes one customer's side against the other (workshop: resolving disputes between
customers: understand both perspectives, find a fair resolution).

Taking sides is declaring one customer right or more deserving, agreeing with one's claim against the other, or
blaming, criticising or overruling the other. It is not: warmth for one customer's feelings, an apology, a question, a
neutral restatement of one view, the company's own fault, or a rule both must accept.

Whether a message takes sides is read by a classifier over its meaning and words, names masked (trained by
``python -m signals.sides_train`` on the tuning set only); whose side, from whom it speaks to and the phrases below
(on the tuning set, a mediator who takes sides while speaking to one customer mostly tells that one to give way).
Without the encoder, the phrases alone decide (they find few of the ways people take sides).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from signals.classifier import StoredClassifier
from signals.text import sentences

LABEL = "takes_sides"
#: What the customers' names become before the classifier reads a message: it judges stances, not names.
MASKS = ("Alex", "Sam")
#: A phrase rule that fires needs only this much agreement from the classifier (its own threshold is 0.5).
RULE_FLOOR = 0.3

_I = re.IGNORECASE
_HE = r"(?:he|she|they|him|her|them|NAME)"
#: Words that make an otherwise partial sentence about both customers or about the company.
NEUTRAL = re.compile(
    r"\b(?:both|each of you|either of you|neither|you two|we (?:got|made|messed|mixed|double|should|were)|"
    r"our (?:mistake|fault|error|system)|the hotel|on us|my fault|our side)\b", _I)
#: The addressed customer is declared right, deserving or agreed with.
FOR_YOU = re.compile(
    r"\byou(?:'re| are) (?:absolutely |totally |completely |quite |100% )?(?:right|correct|in the right|entitled)\b"
    r"|\bI (?:totally |completely |fully )?agree with you\b|\bI(?:'m| am) (?:with you|on your side)\b"
    r"|\bI(?:'d| would) (?:feel|do|say) (?:the same|exactly the same)\b|\byou (?:clearly )?deserve (?:it|this|the)\b"
    r"|\byou (?:did|do) have (?:the )?(?:better|stronger|first) (?:claim|right)\b|\byour claim is (?:better|stronger)\b"
    r"|\bto be fair(?: to you)?,? you\b|\byou (?:were|got) (?:here|there) first\b|\byou booked (?:it )?first\b"
    r"|\bfair(?:'s| is) fair,? (?:it'?s|the \w+ is) yours\b|\bit'?s (?:rightfully )?yours\b", _I)
#: The addressed customer is criticised or told to give way.
AGAINST_YOU = re.compile(
    r"\byou(?:'re| are) (?:being )?(?:unreasonable|selfish|difficult|rude|childish|out of line|in the wrong|wrong)\b"
    r"|\byou(?:'ll| will)? (?:have|need|ought) to (?:let|give|hand|accept|move|back down|make way)\b"
    r"|\byou should (?:let|give|hand|move|back down|apologi[sz]e|be ashamed)\b|\blet(?:'s| us)? be reasonable\b"
    r"|\bit'?s a bit much\b|\byou can'?t (?:just )?expect\b|\bbe the bigger person\b"
    r"|\bwith respect,? you(?:'re| are)\b", _I)
#: The other customer (named or "he"/"she") is declared right or deserving.
FOR_THEM = re.compile(
    rf"\b{_HE} (?:is|'s|was) (?:absolutely |totally |quite )?(?:right|correct|in the right|entitled)\b"
    rf"|\b{_HE} (?:has|had|'s got) a (?:good |fair |valid )?point\b|\bI agree with {_HE}\b"
    rf"|\b{_HE} (?:clearly |really )?deserves? (?:it|this|the|priority)\b|\b{_HE} (?:was|got) (?:here|there) first\b"
    rf"|\b{_HE} (?:did|does) have (?:the )?(?:better|stronger|first) (?:claim|right)\b", _I)
#: The other customer is criticised or blamed.
AGAINST_THEM = re.compile(
    rf"\b{_HE} (?:is|'s|are|'re) (?:being )?(?:unreasonable|selfish|difficult|rude|childish|out of line|in the wrong|"
    rf"wrong)\b|\b(?:his|her|their|NAME's) (?:fault|problem|own fault)\b|\b{_HE} should(?:n'?t)? (?:have |let |give |"
    rf"hand |move |back down |apologi[sz]e)\b|\bblame {_HE}\b", _I)


@dataclass(frozen=True)
class SideTaking:
    """The sentence that takes sides, whom it favours (0 or 1; ``None`` when that is unclear), and how sure the
    reader is (1.0 for a phrase rule)."""

    favours: int | None
    quote: str
    start: int
    confidence: float = 1.0
    source: str = "rule"


#: Words in a name that are not how anyone is addressed.
TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "mx"})


def call_names(name: str) -> tuple[str, ...]:
    """The words a customer is addressed by: "Mrs Elena Vasquez" -> ("Elena", "Vasquez")."""
    return tuple(w for w in re.findall(r"[^\W\d_][\w'-]*", name) if len(w) > 1 and w.lower() not in TITLES)


def masked(text: str, names: Sequence[str]) -> str:
    """``text`` with the first customer's names as "Alex" and the second's as "Sam"."""
    for name, mask in zip(names, MASKS, strict=False):
        for word in call_names(name):
            text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", mask, text, flags=re.IGNORECASE)
    return text


_classifier = StoredClassifier("sides")


def _with_names(pattern: re.Pattern[str], names: Sequence[str]) -> re.Pattern[str]:
    words = "|".join(re.escape(n.split()[0]) for n in names)
    return re.compile(pattern.pattern.replace("NAME", f"(?:{words})"), _I)


def _named(sentence: str, names: Sequence[str]) -> list[int]:
    return [i for i, n in enumerate(names) if re.search(rf"\b{re.escape(n.split()[0])}\b", sentence, _I)]


def taking_sides(text: str, names: Sequence[str], towards: frozenset[int]) -> SideTaking | None:
    """Whether ``text`` takes one of the two customers' side, and the sentence that does. ``names`` are the customers'
    names; ``towards`` whom the message speaks to (one customer, or none known)."""
    from signals import meaning_encoder  # the package loads the encoder once for every reader

    rule = _by_rule(text, names, towards)
    encoder, model = meaning_encoder(), _classifier.get()
    if encoder is None or model is None:
        return rule
    parts = sentences(text)
    texts = [masked(text, names)] + [masked(t, names) for _, t in parts]
    column = model.column(LABEL)
    probabilities = model.probabilities(texts, encoder.encode(texts))[:, column]
    if probabilities[0] < (RULE_FLOOR if rule is not None else model.threshold(LABEL)):
        return None
    if rule is not None:
        return SideTaking(rule.favours, rule.quote, rule.start, float(probabilities[0]), "model")
    best = int(np.argmax(probabilities[1:])) if parts else -1
    start, sentence = parts[best] if parts else (0, text)
    you = next(iter(towards)) if len(towards) == 1 else None
    named = _named(text, names)
    favours = 1 - you if you is not None else (named[0] if len(named) == 1 else None)
    return SideTaking(favours, sentence.strip(), start, float(probabilities[0]), "model")


def _by_rule(text: str, names: Sequence[str], towards: frozenset[int]) -> SideTaking | None:
    """The first sentence a phrase rule reads as taking sides, with whom it favours."""
    you = next(iter(towards)) if len(towards) == 1 else None
    for start, sentence in sentences(text):
        if NEUTRAL.search(sentence):
            continue
        named = _named(sentence, names)
        for pattern, favours_subject in ((FOR_YOU, True), (AGAINST_YOU, False)):
            if pattern.search(sentence):
                subject = named[0] if len(named) == 1 else you
                if subject is not None:
                    return SideTaking(subject if favours_subject else 1 - subject, sentence.strip(), start)
        for pattern, favours_subject in ((FOR_THEM, True), (AGAINST_THEM, False)):
            match = _with_names(pattern, names).search(sentence)
            if match:
                in_match = _named(match.group(0), names)
                subject = in_match[0] if in_match else (1 - you if you is not None else None)
                if subject is not None:
                    return SideTaking(subject if favours_subject else 1 - subject, sentence.strip(), start)
    return None


def sides_with(text: str, names: Sequence[str], towards: frozenset[int]) -> int | None:
    """Whom ``text`` takes the side of (0 or 1), or None when it stays neutral."""
    found = taking_sides(text, names, towards)
    return found.favours if found else None
