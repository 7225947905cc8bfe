"""The exact-phrase detectors: regular expressions over one agent message.

Two uses: the phrases the workshop names word for word ("calm down", "I understand", jargon, times and percentages)
that the semantic layer keeps as rules, and the whole detector when the sentence encoder is unavailable (the
fallback named on the page).  Pure functions of the text, the customer's previous message and the persona's offer
limits: the same input always gives the same signals, in the same order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from signals import patterns as p
from signals.kinds import PROGRESS_KINDS, Detection, OfferPolicy, Signal, SignalKind
from signals.text import clauses as _clauses
from signals.text import content_words, sentences


def _matches(pattern: re.Pattern[str], kind: SignalKind, text: str, base: int = 0) -> Iterable[Signal]:
    for m in pattern.finditer(text):
        yield Signal(kind, m.group(0), base + m.start(), base + m.end())


def _offers(text: str, policy: OfferPolicy | None) -> Iterable[Signal]:
    """Offers, refusals with reasons and concessions; without a policy, limits are unknown and never flagged."""
    reasoned = p.REASON.search(text) is not None
    for start, clause in _clauses(text):
        refused = p.NEGATION.search(clause) is not None
        offered = p.OFFER_VERB.search(clause) is not None
        quote, end = clause.strip(), start + len(clause)
        matched = False
        for term in policy.terms if policy else ():
            if not any(re.search(rf"\b{re.escape(k)}", clause, re.IGNORECASE) for k in term.keywords):
                continue
            matched = True
            if refused:
                if reasoned:
                    yield Signal(SignalKind.LIMIT_WITH_REASON, quote, start, end, term.id)
            elif offered:
                yield Signal(SignalKind.OFFER, quote, start, end, term.id)
                if not term.allowed:
                    yield Signal(SignalKind.CONCESSION_BEYOND_LIMITS, quote, start, end, term.id)
        generic = p.GENERIC_OFFER.search(clause)
        if generic and offered and not refused and not matched and not p.PERCENT.search(clause):
            yield Signal(SignalKind.OFFER, quote, start, end, f"generic:{generic.group(0).lower()}")
        for m in p.PERCENT.finditer(clause):
            percent = int(m.group(1))
            if offered and not refused:
                yield Signal(SignalKind.OFFER, quote, start, end, f"discount:{percent}")
                if policy is not None and percent > policy.max_discount_percent:
                    yield Signal(SignalKind.CONCESSION_BEYOND_LIMITS, quote, start, end,
                                 f"discount:{percent}>{policy.max_discount_percent}")


def _questions(text: str) -> Iterable[Signal]:
    for start, sentence in sentences(text):
        stripped = sentence.strip()
        if stripped.endswith("?") or p.QUESTION_OPENER.search(stripped):
            yield Signal(SignalKind.QUESTION, stripped, start, start + len(sentence))


def _long_sentences(text: str, max_words: int) -> Iterable[Signal]:
    for start, sentence in sentences(text):
        words = p.WORD.findall(sentence)
        clauses = len(re.findall(r"\b(?:and|but|which|so|because|although|however)\b|[;,]", sentence))
        if len(words) > max_words or clauses >= 4:
            yield Signal(SignalKind.LONG_SENTENCE, sentence.strip(), start, start + len(sentence), str(len(words)))


def _paraphrase(text: str, previous_customer: str | None) -> Iterable[Signal]:
    yield from _matches(p.PARAPHRASE, SignalKind.PARAPHRASE, text)
    if not previous_customer:
        return
    shared = content_words(text) & content_words(previous_customer)
    if len(shared) >= 3 and re.search(r"\byou(?:r|'ve|'re)?\b", text, re.IGNORECASE):
        for start, sentence in sentences(text):
            if len(content_words(sentence) & shared) >= 2:
                yield Signal(SignalKind.PARAPHRASE, sentence.strip(), start, start + len(sentence),
                             ",".join(sorted(shared)))
                return


def detect_rules(
    text: str,
    *,
    previous_customer: str | None = None,
    policy: OfferPolicy | None = None,
    max_sentence_words: int = 20,
) -> Detection:
    """Run every detector on one agent message.

    Args:
        text: the agent's message, verbatim.
        previous_customer: the customer's message it answers (for paraphrase).
        policy: the persona's offer limits (for offers and concessions).
        max_sentence_words: longer sentences are reported as ``long_sentence``.
    """
    found: list[Signal] = []
    non_apologies = list(_matches(p.NON_APOLOGY, SignalKind.NON_APOLOGY, text))
    found += non_apologies
    for s in _matches(p.APOLOGY, SignalKind.APOLOGY, text):
        if not any(s.start < n.end and n.start < s.end for n in non_apologies):
            found.append(s)
    simple: Sequence[tuple[re.Pattern[str], SignalKind]] = (
        (p.ACKNOWLEDGEMENT, SignalKind.ACKNOWLEDGEMENT),
        (p.CALM_DOWN, SignalKind.CALM_DOWN),
        (p.CANNED, SignalKind.CANNED),
        (p.BLAME, SignalKind.BLAME),
        (p.OWNERSHIP, SignalKind.OWNERSHIP),
        (p.ALTERNATIVE, SignalKind.ALTERNATIVE),
        (p.COMMON_GROUND, SignalKind.COMMON_GROUND),
        (p.CHECK_UNDERSTANDING, SignalKind.CHECK_UNDERSTANDING),
        (p.CLOSING, SignalKind.CLOSING),
        (p.INSULT, SignalKind.INSULT),
        (p.SARCASM, SignalKind.SARCASM),
        (p.JARGON, SignalKind.JARGON),
    )
    for pattern, kind in simple:
        found += _matches(pattern, kind, text)
    found += _paraphrase(text, previous_customer)
    found += _questions(text)
    found += _long_sentences(text, max_sentence_words)
    found += _offers(text, policy)
    found += _refusals(text, found)
    found += _policy_hiding(text, found)
    found += _next_steps(text)
    if not any(s.kind in PROGRESS_KINDS for s in found):
        found.append(Signal(SignalKind.NO_PROGRESS, text.strip()[:120], 0, min(len(text), 120)))
    found.sort(key=lambda s: (s.start, s.kind.value))
    return Detection(tuple(found))


def _refusals(text: str, found: list[Signal]) -> Iterable[Signal]:
    """Saying no: every refusal clause; with a reason in the message it is also a limit set with a reason."""
    reasoned = p.REASON.search(text) is not None
    limited = {(s.start, s.end) for s in found if s.kind == SignalKind.LIMIT_WITH_REASON}
    for start, clause in _clauses(text):
        if p.REFUSAL.search(clause):
            end = start + len(clause)
            yield Signal(SignalKind.REFUSAL, clause.strip(), start, end)
            if reasoned and (start, end) not in limited:
                yield Signal(SignalKind.LIMIT_WITH_REASON, clause.strip(), start, end)


def _policy_hiding(text: str, found: list[Signal]) -> Iterable[Signal]:
    """"It's policy" without a reason or an alternative is hiding behind policy."""
    explained = p.REASON.search(text) is not None and any(
        s.kind in (SignalKind.ALTERNATIVE, SignalKind.OFFER) for s in found
    )
    if not explained:
        yield from _matches(p.POLICY_HIDING, SignalKind.POLICY_HIDING, text)


def _next_steps(text: str) -> Iterable[Signal]:
    """A concrete next step: an action the agent owns, with a time, in one sentence."""
    for start, sentence in sentences(text):
        if p.OWNERSHIP.search(sentence) or re.search(r"\b(?:will|you'll|you will|we'll)\b", sentence, re.I):
            when = p.TIME.search(sentence)
            if when:
                yield Signal(SignalKind.NEXT_STEP_TIME, sentence.strip(), start, start + len(sentence), when.group(0))
