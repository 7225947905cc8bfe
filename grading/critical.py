"""Critical errors that have to be earned.

A critical error caps the whole grade below the pass mark, so a certification attempt fails on it with no person
looking. A sentence classifier above its threshold is not enough for that: each reading of a critical kind must
clear the kind's confidence floor **and** the conversation must corroborate it:

* a concession beyond the limits: the sentence grants the thing (it does not refuse it, ask about it, wish it, make
  it conditional, or name it only to say no), what it grants is outside what the company can offer (a forbidden offer
  or a discount over the maximum), and the agent does not refuse the same thing in that message;
* caving to a threat: the customer's message before it threatens, and the agent gives something it had not offered
  before the threat;
* an insult: it is aimed at the customer (the sentence speaks to or about them: "you", "your"), not at the company,
  a third person or the situation.

A reading that misses either is a *possible* critical error: quoted on the report with its confidence and what the
conversation did not show, never capping; in certification the attempt goes to a person (see
``services.certification.policy``). Pure functions of the evidence pass: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import signals
from grading.evidence import AgentTurn, sentence_around
from grading.judge import CriticalVerdict
from grading.transcript import GradingContext, Transcript
from signals import Signal, SignalKind, customer_threatens

MODEL = Path(signals.__file__).parent / "model" / "classifiers.json"

#: The critical kinds, in the rubric's order.
CRITICAL_KINDS = (SignalKind.CONCESSION_BEYOND_LIMITS, SignalKind.CAVED_TO_THREAT, SignalKind.INSULT)
#: The sentence classifier behind each critical kind (``signals/model/classifiers.json`` holds its threshold and its
#: cross-validated precision there); a concession is read by the offer classifier at the stricter
#: ``signals.semantic.CONCESSION_CONFIDENCE``.
CLASSIFIER = {SignalKind.CAVED_TO_THREAT: "caving", SignalKind.INSULT: "insult"}
#: A classifier whose cross-validated precision at its threshold is below this never caps a grade on its own
#: reading: its readings are possible critical errors (an exact-phrase rule reads 1.0 and still can).
MIN_PRECISION = 0.85


@lru_cache(maxsize=1)
def floors() -> dict[SignalKind, float]:
    """The confidence each critical kind's reading must reach to cap a grade: the classifier's own threshold, where
    its measured precision is at least :data:`MIN_PRECISION`; 1.0 (rules only) where it is not. Derived from the
    classifiers' validation, never from the held-out conversations (``python -m bench.critical`` measures those)."""
    from signals.semantic import CONCESSION_CONFIDENCE

    labels = json.loads(MODEL.read_text(encoding="utf-8"))["labels"]
    out = {SignalKind.CONCESSION_BEYOND_LIMITS: CONCESSION_CONFIDENCE}
    for kind, label in CLASSIFIER.items():
        entry = labels[label]
        out[kind] = float(entry["threshold"]) if entry["cv"]["precision"] >= MIN_PRECISION else 1.0
    return out

#: Words that make a sentence something other than a grant: a refusal, a wish, a hypothetical, a condition.
NOT_GRANTED = re.compile(
    r"\b(?:can'?t|cannot|can not|unable|not able|won'?t|will not|not (?:possible|something|in a position|allowed|"
    r"authori[sz]ed)|no way|isn'?t (?:possible|something)|(?:i|we) don'?t|do not|never|wish|if (?:it|i|we|that) "
    r"(?:were|was|could|had)|if only|would love to|'d love to|unless|if you|as long as|provided|only if|were I|"
    r"i'?d have to|not able to)\b", re.IGNORECASE)
REPEATED = "what it gives was offered before the threat"
#: Speaking to or about the customer.
AIMED = re.compile(r"\b(?:you|your|you'?re|yours|yourself|u|ur)\b", re.IGNORECASE)


@dataclass(frozen=True)
class CriticalFinding:
    """One reading of a critical kind in one agent turn.

    Attributes:
        kind: the critical kind.
        turn: the transcript position of the agent message.
        quote: the whole sentence, verbatim.
        confidence: the reading's confidence (1.0 for an exact-phrase rule).
        earned: it clears the kind's floor and the conversation corroborates it: it caps the grade.
        missing: when not earned, what was not shown ("the sentence does not grant it", ...).
    """

    kind: SignalKind
    turn: int
    quote: str
    confidence: float
    earned: bool
    missing: str = ""


def _granted(signal: Signal, turn: AgentTurn) -> str:
    """Why the concession in ``signal`` is not corroborated ("" when it is)."""
    sentence = sentence_around(turn.text, signal.start)
    if sentence.rstrip().endswith("?"):
        return "the sentence asks; it grants nothing"
    if NOT_GRANTED.search(sentence):
        return "the sentence refuses, wishes or sets a condition; it does not grant the thing"
    term = signal.detail.split(">")[0]
    if term and any(s.kind == SignalKind.REFUSAL and s.detail == term for s in turn.detection.signals):
        return "the same message says no to it"
    if not signal.detail or signal.detail.startswith("generic:"):
        return "what it grants is not outside what the company can offer"
    return ""


def _offers_in(turn: AgentTurn) -> set[str]:
    return {s.detail.split(">")[0] for s in turn.detection.signals
            if s.kind in (SignalKind.OFFER, SignalKind.CONCESSION_BEYOND_LIMITS) and s.detail
            and not s.detail.startswith("generic:")}


def _caved(signal: Signal, turn: AgentTurn, earlier: Sequence[AgentTurn], previous_customer: str | None) -> str:
    """Why caving in ``signal`` is not corroborated ("" when it is)."""
    if not customer_threatens(previous_customer):
        return "the customer's message before it holds no threat"
    sentence = sentence_around(turn.text, signal.start)
    if NOT_GRANTED.search(sentence) or sentence.rstrip().endswith("?"):
        return "the sentence refuses, asks or sets a condition; it gives nothing"
    given = _offers_in(turn)
    before = set().union(*(_offers_in(t) for t in earlier)) if earlier else set()
    if given and given <= before:
        return REPEATED
    return ""


def _aimed(signal: Signal, turn: AgentTurn) -> str:
    sentence = sentence_around(turn.text, signal.start)
    return "" if AIMED.search(sentence) else "it is not aimed at the customer (no 'you' in the sentence)"


def _same(quote: str, sentence: str) -> bool:
    a, b = " ".join(quote.lower().split()), " ".join(sentence.lower().split())
    return bool(a) and (a in b or b in a)


def judged(findings: Sequence[CriticalFinding],
           verdicts: Sequence[CriticalVerdict]) -> tuple[list[CriticalFinding], list[CriticalVerdict]]:
    """The findings after the judge's say, and the critical errors the judge found alone.

    A reading the judge refutes (quoting the agent verbatim) caps nothing: it stays a possible critical error that
    says so. A reading it confirms is marked confirmed (a possible one stays possible: a person decides). A verdict
    that matches no reading is the judge's own finding: a possible critical error when it quotes the agent verbatim.
    """
    out, used = [], set()
    for f in findings:
        match = next((i for i, v in enumerate(verdicts) if i not in used and v.kind == f.kind.value
                      and v.verdict in ("confirmed", "refuted") and v.verbatim and _same(v.quote, f.quote)), None)
        if match is None:
            out.append(f)
            continue
        used.add(match)
        v = verdicts[match]
        if v.verdict == "refuted":
            out.append(replace(f, earned=False, missing=f"the judge refuted it ({v.reason.rstrip('.')})"))
        elif not f.earned:
            out.append(replace(f, missing=f"{f.missing}; the judge confirmed it ({v.reason.rstrip('.')})"))
        else:
            out.append(f)
    alone = [v for i, v in enumerate(verdicts) if i not in used and v.verdict == "found"
             and not any(f.kind.value == v.kind and _same(v.quote, f.quote) for f in findings)]
    return out, alone


def find_criticals(turns: Sequence[AgentTurn], transcript: Transcript,
                   context: GradingContext) -> list[CriticalFinding]:
    """Every critical reading in ``turns``, one per kind and sentence, earned or possible."""
    del context  # the offer limits are already in each concession's detail
    out: list[CriticalFinding] = []
    floor_of = floors()
    for i, turn in enumerate(turns):
        seen: set[tuple[SignalKind, str]] = set()
        for signal in turn.detection.signals:
            if signal.kind not in CRITICAL_KINDS:
                continue
            quote = sentence_around(turn.text, signal.start)
            if (signal.kind, quote) in seen:
                continue
            seen.add((signal.kind, quote))
            if signal.kind == SignalKind.CONCESSION_BEYOND_LIMITS:
                missing = _granted(signal, turn)
            elif signal.kind == SignalKind.CAVED_TO_THREAT:
                missing = _caved(signal, turn, turns[:i], transcript.previous_customer(turn.turn))
            else:
                missing = _aimed(signal, turn)
            if missing == REPEATED and any(f.earned and f.kind == signal.kind for f in out):
                continue  # the same gift again: the error was counted when it was made
            floor = floor_of[signal.kind]
            if not missing and signal.confidence < floor:
                missing = f"the reading is {signal.confidence:.0%} sure, below the {floor:.0%} this kind needs"
            out.append(CriticalFinding(signal.kind, turn.turn, quote, signal.confidence, not missing, missing))
    return out
