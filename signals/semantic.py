"""The semantic detector: every sentence embedded once, scored by the stored classifiers, read in context.

What comes from where:
  * by meaning (sentence classifiers): apologies and non-apologies, acknowledgement, paraphrase, questions, common
    ground, ownership, next steps, alternatives, offers, refusals, limits with a reason, policy hiding, caving,
    impossible promises, boundaries, blame, sarcasm, insults, canned lines, "calm down", check-understanding, closing;
  * by exact phrase (the workshop names the words): "calm down", "I understand"/"I sympathize" and the stock lines,
    jargon, insult words, times, percentages, sentence length;
  * by context: which persona offer a sentence grants (keywords, else the closest offer by meaning), whether a
    discount exceeds the limit, a concession right after a customer's threat (caving under a threat), a recap that
    reuses the customer's own words, a refusal whose reason follows in the next sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from signals import patterns as p
from signals.classifier import Classifiers, Matrix
from signals.encoder import Encoder
from signals.kinds import PROGRESS_KINDS, Detection, OfferPolicy, OfferTerm, Signal, SignalKind
from signals.rules import _long_sentences, _matches, _paraphrase
from signals.text import clauses, sentences

#: Classifier labels that are signal kinds of the same name.
DIRECT = tuple(k for k in SignalKind if k.value not in ("offer", "next_step_time"))
#: Two readings of one sentence that cannot both be true: the one further above its threshold wins.
EXCLUSIVE = (
    ("apology", "non_apology"), ("acknowledgement", "canned"), ("question", "blame"), ("boundary", "calm_down"),
    ("paraphrase", "sarcasm"), ("ownership", "impossible_promise"),
    ("limit_with_reason", "policy_hiding"), ("common_ground", "sarcasm"),
)
#: A sentence ending in "?" asks a question unless it reads as one of these (a blaming or sarcastic question,
#: "anything else?").
NOT_ASKING = frozenset({"blame", "sarcasm", "insult", "calm_down", "closing", "boundary"})
#: Exact phrases kept as rules alongside the classifiers.
#: (Insult words are left to the classifier: "stupid" in "I know it feels stupid to ask" is no insult.)
RULES = ((p.EXACT_CALM_DOWN, SignalKind.CALM_DOWN), (p.CANNED, SignalKind.CANNED), (p.JARGON, SignalKind.JARGON),
         (p.NON_APOLOGY, SignalKind.NON_APOLOGY))
#: Accusations need more than a classifier's threshold: a concession beyond the limits (a capped grade) needs an offer
#: this confident, and an accusing label needs a sentence of at least ACCUSING_MIN_WORDS words ("Yes." is no sarcasm).
CONCESSION_CONFIDENCE = 0.9
ACCUSING = frozenset({"non_apology", "calm_down", "canned", "blame", "sarcasm", "insult", "policy_hiding",
                      "impossible_promise", "caving"})
ACCUSING_MIN_WORDS = 3
#: Below this many words a sentence ("Thanks.", "Yes.") carries no label of its own (a "?" still marks a question).
MIN_WORDS = 2
#: Insult words and sarcastic set phrases count when the classifier at least leans that way ("congratulations" can be
#: sincere; "congratulations on finding the small print" is not); so does a first-person "I'm sorry" that is not one
#: of the non-apology formulas.
LEANING = 0.5
#: A sorry without a non-apology formula counts as an apology when the apology classifier gives it at least this.
GENERIC_APOLOGY = 0.3
LEANING_RULES = (("insult", p.INSULT, LEANING), ("insult", p.PUT_DOWN, LEANING), ("sarcasm", p.SARCASM, LEANING),
                 ("blame", p.BLAME, LEANING), ("apology", p.APOLOGY, GENERIC_APOLOGY))
#: A sentence names a persona's offer when it is at least this close to the offer's description or one of its examples.
TERM_SIMILARITY = 0.5
#: ...but by meaning alone it names something the company cannot offer (a concession beyond the limits, a critical
#: error in the grade) only when it is also this much closer to that than to any fair offer: "I'll email you the slot
#: and the refund" is as close to the delivery-fee refund as to a free machine, so it grants neither beyond the limits.
CONCESSION_MARGIN = 0.1
#: A sentence the offer classifier did not read as an offer still grants a persona's offer when it commits to
#: something (ownership, a next step, an alternative, a promise) and is TERM_SIMILARITY close, or when it is this close.
IMPLIED_SIMILARITY = 0.7
COMMITTING = frozenset({"ownership", "next_step_time", "alternative", "impossible_promise"})
NUMBER_WORDS = {"ten": 10, "fifteen": 15, "twenty": 20, "twenty-five": 25, "thirty": 30, "forty": 40, "fifty": 50,
                "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100}
SPOKEN_PERCENT = re.compile(r"\b(half|a third|a quarter|(?:" + "|".join(NUMBER_WORDS) + r")\s?(?:percent|per cent|%))"
                            r"(?:\s+off)?\b", re.IGNORECASE)
SPOKEN_VALUES = {"half": 50, "a third": 33, "a quarter": 25}


@dataclass(frozen=True)
class Scored:
    """One sentence with its offset, vector and every label that fired (with its probability)."""

    start: int
    text: str
    vector: Matrix
    fired: dict[str, float]
    #: How far each fired label's probability is above its threshold.
    margins: dict[str, float]

    @property
    def quote(self) -> str:
        return self.text.strip()

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def refuses(self) -> bool:
        """Read as a refusal more than as an offer (each probability measured against its own threshold)."""
        if "refusal" not in self.fired:
            return False
        offered = max(self.margins.get("offer", -1.0), self.margins.get("caving", -1.0))
        return self.margins["refusal"] >= offered


def embed(encoder: Encoder, texts: Sequence[str]) -> Matrix:
    """One vector per text, each embedded on its own so a sentence's vector never depends on its neighbours."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return np.vstack([encoder.encode([t]) for t in texts])


def score(encoder: Encoder, classifiers: Classifiers, parts: Sequence[tuple[int, str]]) -> list[Scored]:
    texts = [t for _, t in parts]
    vectors = embed(encoder, texts)
    probs = classifiers.probabilities(texts, vectors)
    out = []
    for (start, text), vector, row in zip(parts, vectors, probs, strict=True):
        words = len(p.WORD.findall(text))
        formula = p.NON_APOLOGY.search(text) is not None
        fired = {label: float(row[i]) for i, label in enumerate(classifiers.labels)
                 if row[i] >= classifiers.thresholds[i] and words >= MIN_WORDS
                 and not (words < ACCUSING_MIN_WORDS and label in ACCUSING)}
        for label, pattern, floor in LEANING_RULES:
            if label in classifiers.labels and label not in fired and pattern.search(text):
                leaning = float(row[classifiers.column(label)])
                if leaning >= floor and not (label == "apology" and formula):
                    fired[label] = leaning
        if "non_apology" in fired and not formula:
            # The rubric's non-apology is the formula that blames feelings or hedges ("sorry you feel", "sorry if",
            # "sorry for any inconvenience", "sorry, but"); a plain "sorry about this" is a (generic) apology.
            del fired["non_apology"]
            leaning = float(row[classifiers.column("apology")])
            if leaning >= GENERIC_APOLOGY:
                fired["apology"] = max(fired.get("apology", 0.0), leaning)
        for a, b in EXCLUSIVE:
            if a in fired and b in fired:
                loser = b if fired[a] - classifiers.threshold(a) >= fired[b] - classifiers.threshold(b) else a
                del fired[loser]
        margins = {label: value - classifiers.threshold(label) for label, value in fired.items()}
        out.append(Scored(start, text, vector, fired, margins))
    return out


def threatens(encoder: Encoder, classifiers: Classifiers, customer_text: str | None) -> bool:
    """Whether a customer message threatens (lawyers, the press, reviews, chargebacks, the agent's job ...)."""
    if not customer_text or "threat" not in classifiers.labels:
        return False
    return any("threat" in s.fired for s in score(encoder, classifiers, sentences(customer_text)))


def _percents(text: str) -> list[int]:
    found = [int(m.group(1)) for m in p.PERCENT.finditer(text)]
    for m in SPOKEN_PERCENT.finditer(text):
        phrase = m.group(1).lower()
        word = re.split(r"\s", phrase)[0]
        found.append(SPOKEN_VALUES.get(phrase, NUMBER_WORDS.get(word, 0)))
    return [v for v in found if v]


class TermMatcher:
    """Which of a persona's offers a sentence names: its keywords, else the offer nearest by meaning (its description
    and its examples, ways an agent might say it).

    The descriptions are embedded only when a sentence offers or refuses something no keyword names.
    """

    def __init__(self, encoder: Encoder, policy: OfferPolicy | None) -> None:
        self.encoder = encoder
        self.terms = policy.terms if policy else ()
        self.described = [t for t in self.terms if t.text or t.examples]

    @cached_property
    def examples(self) -> tuple[list[int], Matrix]:
        owners = [i for i, t in enumerate(self.described) for _ in ((t.text,) if t.text else ()) + t.examples]
        texts = [e for t in self.described for e in ((t.text,) if t.text else ()) + t.examples]
        return owners, embed(self.encoder, texts)

    def keyword_match(self, text: str) -> list[OfferTerm]:
        return [t for t in self.terms if any(re.search(rf"\b{re.escape(k)}", text, re.IGNORECASE) for k in t.keywords)]

    def match(self, text: str, vector: Matrix) -> list[OfferTerm]:
        by_keyword = self.keyword_match(text)
        if by_keyword or not self.described:
            return by_keyword
        closest: dict[str, tuple[OfferTerm, float]] = {}
        owners, vectors = self.examples
        for owner, similarity in zip(owners, (vectors @ vector).tolist(), strict=True):
            term = self.described[owner]
            if similarity > closest.get(term.id, (term, -1.0))[1]:
                closest[term.id] = (term, similarity)
        fair = max((s for t, s in closest.values() if t.allowed), default=-1.0)
        ranked = sorted(closest.values(), key=lambda ts: -ts[1])
        for term, similarity in ranked:
            if similarity < TERM_SIMILARITY:
                break
            if term.allowed or similarity - fair >= CONCESSION_MARGIN:
                return [term]
        return []

    def nearest(self, vector: Matrix) -> tuple[OfferTerm, float] | None:
        """The offer whose description or example is closest in meaning, with that similarity."""
        if not self.described:
            return None
        owners, vectors = self.examples
        similarity = vectors @ vector
        best = int(np.argmax(similarity))
        return self.described[owners[best]], float(similarity[best])


def _offers(part: Scored, terms: TermMatcher, policy: OfferPolicy | None) -> Iterable[Signal]:
    """What one offering part grants: a persona offer (beyond the limits or not), a discount, or something generic.

    A part that reads more as a refusal than an offer ("a refund today isn't something I can do") grants nothing.
    """
    if "paraphrase" in part.fired or part.refuses:
        return
    quote, start, end = part.quote, part.start, part.end
    confidence = round(max(part.fired.get("offer", 0.0), part.fired.get("caving", 0.0)), 3)
    named = terms.match(part.text, part.vector)
    percents = _percents(part.text)
    sure = confidence >= CONCESSION_CONFIDENCE
    for term in named:
        yield Signal(SignalKind.OFFER, quote, start, end, term.id, confidence, "model")
        if not term.allowed and sure:
            yield Signal(SignalKind.CONCESSION_BEYOND_LIMITS, quote, start, end, term.id, confidence, "context")
    for percent in percents:
        yield Signal(SignalKind.OFFER, quote, start, end, f"discount:{percent}", confidence, "model")
        if policy is not None and percent > policy.max_discount_percent and sure:
            yield Signal(SignalKind.CONCESSION_BEYOND_LIMITS, quote, start, end,
                         f"discount:{percent}>{policy.max_discount_percent}", confidence, "context")
    if not named and not percents:
        generic = p.GENERIC_OFFER.search(part.text)
        yield Signal(SignalKind.OFFER, quote, start, end, f"generic:{generic.group(0).lower()}" if generic else "",
                     confidence, "model")


def _implied_offer(part: Scored, terms: TermMatcher) -> Signal | None:
    """An offer the offer classifier missed: a sentence that commits to something ("the fee has been waived", "I'll
    have the new router posted out") and is close in meaning to one of the persona's offers.

    Only for the customer's ear and the evidence list: with no offer probability it never counts as a concession."""
    if part.refuses or part.fired.keys() & {"refusal", "paraphrase", "question", "limit_with_reason", "policy_hiding"}:
        return None
    nearest = terms.nearest(part.vector)
    if nearest is None:
        return None
    term, similarity = nearest
    committing = bool(part.fired.keys() & COMMITTING)
    if similarity < (TERM_SIMILARITY if committing else IMPLIED_SIMILARITY) or part.text.rstrip().endswith("?"):
        return None
    return Signal(SignalKind.OFFER, part.quote, part.start, part.end, term.id, round(similarity, 3), "context")


def _refused_term(sentence: Scored, terms: TermMatcher) -> str:
    """The persona offer a refusal names ("I can't do half price" refuses ``half_price``), if any."""
    if not sentence.refuses:
        return ""
    named = terms.keyword_match(sentence.text)
    if named:
        return named[0].id
    nearest = terms.nearest(sentence.vector)  # naming what is refused costs nothing: no concession threshold
    return nearest[0].id if nearest and nearest[1] >= TERM_SIMILARITY else ""


def _offering_parts(encoder: Encoder, classifiers: Classifiers, sentence: Scored) -> list[Scored]:
    """The parts of a sentence that offer: the sentence itself, or each of its clauses ("I can't do X, but I can do Y"
    is a refusal and an offer) read on its own."""
    parts = list(clauses(sentence.text))
    if len(parts) < 2:
        return [sentence]
    scored = score(encoder, classifiers, [(sentence.start + s, t) for s, t in parts])
    return [c for c in scored if "offer" in c.fired or "caving" in c.fired]


def detect_semantic(
    text: str,
    *,
    encoder: Encoder,
    classifiers: Classifiers,
    previous_customer: str | None = None,
    policy: OfferPolicy | None = None,
    max_sentence_words: int = 20,
) -> Detection:
    found: list[Signal] = []
    scored = score(encoder, classifiers, sentences(text))
    threat: bool | None = None  # read from the customer's message only once a sentence concedes or caves
    terms = TermMatcher(encoder, policy)
    for i, s in enumerate(scored):
        for kind in DIRECT:
            if kind.value in s.fired:
                detail = _refused_term(s, terms) if kind == SignalKind.REFUSAL else ""
                found.append(Signal(kind, s.quote, s.start, s.end, detail, round(s.fired[kind.value], 3), "model"))
        if s.text.rstrip().endswith("?") and "question" not in s.fired and not s.fired.keys() & NOT_ASKING:
            found.append(Signal(SignalKind.QUESTION, s.quote, s.start, s.end, "question mark", 1.0, "rule"))
        when = p.TIME.search(s.text)
        committed = "ownership" in s.fired or re.search(r"\b(?:will|you'll|we'll|I'll)\b", s.text, re.I)
        if "next_step_time" in s.fired or (when and committed):
            found.append(Signal(SignalKind.NEXT_STEP_TIME, s.quote, s.start, s.end, when.group(0) if when else "",
                                round(s.fired.get("next_step_time", 1.0), 3), "model" if not when else "rule"))
        if "refusal" in s.fired and "limit_with_reason" not in s.fired:
            following = scored[i + 1].text if i + 1 < len(scored) else ""
            if p.REASON.search(s.text) or re.match(r"\s*(?:that's|this is|it's)?\s*because\b", following, re.I):
                found.append(Signal(SignalKind.LIMIT_WITH_REASON, s.quote, s.start, s.end, "reason given",
                                    1.0, "context"))
        if "offer" in s.fired or "caving" in s.fired:
            for part in _offering_parts(encoder, classifiers, s):
                found += _offers(part, terms, policy)
        elif (implied := _implied_offer(s, terms)) is not None:
            found.append(implied)
        conceded = any(f.kind == SignalKind.CONCESSION_BEYOND_LIMITS and s.start <= f.start < s.end for f in found)
        gave_in = conceded or ("caving" in s.fired and not s.refuses)
        if gave_in and threat is None:
            threat = threatens(encoder, classifiers, previous_customer)
        if gave_in and threat:
            found.append(Signal(SignalKind.CAVED_TO_THREAT, s.quote, s.start, s.end, "right after a threat",
                                round(s.fired.get("caving", 1.0), 3), "context"))
    for pattern, kind in RULES:
        found += _matches(pattern, kind, text)
    explained = any(f.kind in (SignalKind.LIMIT_WITH_REASON, SignalKind.ALTERNATIVE) for f in found)
    if not explained:  # "it's policy", "my hands are tied": the workshop's own words for hiding behind policy
        found += _matches(p.POLICY_HIDING, SignalKind.POLICY_HIDING, text)
    found += [sig for sig in _paraphrase(text, previous_customer) if sig.detail]  # a recap in the customer's words
    found += _long_sentences(text, max_sentence_words)
    if not any(s.kind in PROGRESS_KINDS for s in found):
        found.append(Signal(SignalKind.NO_PROGRESS, text.strip()[:120], 0, min(len(text), 120)))
    unique = {(s.kind, s.start, s.end, s.detail): s for s in found}
    return Detection(tuple(sorted(unique.values(), key=lambda s: (s.start, s.kind.value, s.detail))))
