"""Pass 1: deterministic evidence. Detectors on every agent turn, scored by the rubric's rules.

Same transcript and rubric, same result, every time.  Grader-directed text is
removed first (see :mod:`signals.manipulation`), and an empathy phrase repeated
word for word in later turns stops counting as empathy and counts as a
canned line instead (from its second use).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from grading.rubric import MAX_LEVEL, Criterion, Rubric
from grading.transcript import GradingContext, Transcript
from signals import NEGATIVE_KINDS, Detection, Signal, SignalKind, detect, neutralize, sentences
from signals.manipulation import Attempt

if TYPE_CHECKING:
    from grading.critical import CriticalFinding

REPEATABLE_EMPATHY = frozenset({SignalKind.APOLOGY, SignalKind.ACKNOWLEDGEMENT, SignalKind.COMMON_GROUND})
REPEAT_LIMIT = 2
NOTES = {
    SignalKind.APOLOGY: "sincere apology",
    SignalKind.NON_APOLOGY: "non-apology (apologises for the customer's feelings, not the problem)",
    SignalKind.ACKNOWLEDGEMENT: "acknowledges the customer's feelings",
    SignalKind.PARAPHRASE: "recaps the complaint in their own words",
    SignalKind.CALM_DOWN: "tells the customer to calm down",
    SignalKind.CANNED: "canned, automatic-sounding line",
    SignalKind.BLAME: "blames the customer or gets defensive",
    SignalKind.POLICY_HIDING: "hides behind policy without a reason or alternative",
    SignalKind.OWNERSHIP: "takes ownership",
    SignalKind.NEXT_STEP_TIME: "concrete next step with a time",
    SignalKind.QUESTION: "asks a question",
    SignalKind.ALTERNATIVE: "offers an alternative",
    SignalKind.OFFER: "makes an offer",
    SignalKind.REFUSAL: "says no",
    SignalKind.LIMIT_WITH_REASON: "sets a limit and gives the reason",
    SignalKind.COMMON_GROUND: "puts themselves on the customer's side",
    SignalKind.CONCESSION_BEYOND_LIMITS: "concedes more than the company allows",
    SignalKind.CAVED_TO_THREAT: "gives in right after a threat",
    SignalKind.IMPOSSIBLE_PROMISE: "promises something outside their control",
    SignalKind.BOUNDARY: "sets a calm boundary and keeps helping",
    SignalKind.CHECK_UNDERSTANDING: "checks the customer understood",
    SignalKind.CLOSING: "closes with a follow-up",
    SignalKind.INSULT: "insults the customer",
    SignalKind.SARCASM: "sarcasm",
    SignalKind.JARGON: "jargon",
    SignalKind.LONG_SENTENCE: "sentence too long to follow",
    SignalKind.NO_PROGRESS: "moves nothing forward",
}


@dataclass(frozen=True)
class Evidence:
    """A quoted span of one agent turn and what it shows."""

    turn: int
    quote: str
    kind: str
    positive: bool
    note: str
    #: Which detector saw it: ``model`` (a sentence classifier), ``rule`` (an exact phrase) or ``context``.
    source: str = "rule"
    #: The classifier's probability (1.0 for rules and context).
    confidence: float = 1.0

    def as_dict(self) -> dict[str, object]:
        return {"turn": self.turn, "quote": self.quote, "kind": self.kind, "positive": self.positive,
                "note": self.note, "source": self.source, "confidence": self.confidence}


@dataclass
class CriterionResult:
    """One criterion's deterministic result; ``level`` is ``None`` when not applicable."""

    criterion: Criterion
    level: int | None
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def applicable(self) -> bool:
        return self.level is not None


@dataclass(frozen=True)
class AgentTurn:
    turn: int
    text: str
    detection: Detection


@dataclass
class EvidencePass:
    turns: list[AgentTurn]
    criteria: list[CriterionResult]
    attempts: list[Attempt]
    #: Every critical reading, earned (it caps) or possible (a person decides): :mod:`grading.critical`.
    criticals: list[CriticalFinding] = field(default_factory=list)


def analyse_turns(transcript: Transcript, context: GradingContext) -> tuple[list[AgentTurn], list[Attempt]]:
    """Neutralize grader-directed text, then run the detectors on every agent turn."""
    turns, attempts = [], []
    for position, line in transcript.agent_turns():
        text, found = neutralize(line.content, position)
        attempts += found
        detection = detect(text, previous_customer=transcript.previous_customer(position), policy=context.policy,
                           max_sentence_words=context.max_sentence_words)
        turns.append(AgentTurn(position, text, detection))
    return _demote_repeats(turns), attempts


def _demote_repeats(turns: list[AgentTurn]) -> list[AgentTurn]:
    """The same empathy phrase repeated word for word is a script: its repeats count as canned."""
    seen: Counter[str] = Counter()
    out = []
    for turn in turns:
        signals = []
        for s in turn.detection.signals:
            if s.kind in REPEATABLE_EMPATHY:
                key = f"{s.kind}:{s.quote.lower().strip()}"
                seen[key] += 1
                if seen[key] >= REPEAT_LIMIT:
                    signals.append(Signal(SignalKind.CANNED, s.quote, s.start, s.end, "repeated word for word"))
                    continue
            signals.append(s)
        out.append(AgentTurn(turn.turn, turn.text, Detection(tuple(signals))))
    return out


def _applies(criterion: Criterion, turns: list[AgentTurn], context: GradingContext) -> bool:
    rule = criterion.applies
    if rule.persona_flag == "language_barrier" and not context.language_barrier:
        return False
    if rule.persona_flag == "dispute" and not context.parties:
        return False
    if rule.if_any and not any(t.detection.kinds & set(rule.if_any) for t in turns):
        return False
    return len(turns) >= rule.min_agent_turns


def sentence_around(text: str, start: int) -> str:
    """The whole sentence holding offset ``start`` (verbatim), for readable evidence."""
    for offset, sentence in sentences(text):
        if offset <= start < offset + len(sentence):
            return sentence.strip()
    return text.strip()


def _evidence(turn: AgentTurn, kind: SignalKind, note: str = "") -> list[Evidence]:
    """One piece of evidence per sentence showing ``kind`` (the strongest signal in it names source and confidence)."""
    best: dict[str, Signal] = {}
    for s in turn.detection.of(kind):
        quote = sentence_around(turn.text, s.start)
        if quote not in best or s.confidence > best[quote].confidence:
            best[quote] = s
    positive = kind not in NEGATIVE_KINDS
    return [Evidence(turn.turn, q, kind.value, positive, note or NOTES[kind], s.source, s.confidence)
            for q, s in best.items()]


def _score_signals(criterion: Criterion, turns: list[AgentTurn]) -> tuple[int, list[Evidence]]:
    rule = criterion.evidence
    level, evidence = rule.baseline, []
    for positive in rule.positive:
        hits = [t for t in turns if t.detection.has(positive.kind)
                and (positive.with_kind is None or t.detection.has(positive.with_kind))]
        if len(hits) >= positive.min_turns:
            level = max(level, positive.level)
        for t in hits:
            evidence += [e for e in _evidence(t, positive.kind) if e not in evidence]
    penalty = 0
    for negative in rule.negative:
        hits = [t for t in turns if t.detection.has(negative.kind)]
        penalty += negative.penalty * len(hits)
        for t in hits:
            evidence += _evidence(t, negative.kind)
    return max(0, min(MAX_LEVEL, level - penalty)), sorted(evidence, key=lambda e: e.turn)


SOFTENERS = frozenset({SignalKind.ACKNOWLEDGEMENT, SignalKind.APOLOGY, SignalKind.PARAPHRASE})
WAYS_FORWARD = frozenset({SignalKind.ALTERNATIVE, SignalKind.OFFER, SignalKind.COMMON_GROUND})


def _score_bad_news(turns: list[AgentTurn]) -> tuple[int, list[Evidence]]:
    """Each "no": prepared (softened before it), explained (a reason), and followed by what is possible."""
    worst, evidence = MAX_LEVEL, []
    for i, turn in enumerate(turns):
        refusals = turn.detection.of(SignalKind.REFUSAL)
        if not refusals:
            continue
        first = refusals[0]
        earlier = turns[i - 1].detection.kinds if i > 0 else frozenset()
        prepared = any(s.kind in SOFTENERS and s.start < first.start for s in turn.detection.signals) or bool(
            earlier & SOFTENERS)
        explained = turn.detection.has(SignalKind.LIMIT_WITH_REASON)
        following = turns[i + 1].detection.kinds if i + 1 < len(turns) else frozenset()
        forward = bool((turn.detection.kinds | following) & WAYS_FORWARD)
        stages = int(prepared) + int(explained) + int(forward)
        worst = min(worst, stages)
        missing = [name for name, ok in (("no preparation", prepared), ("no reason", explained),
                                         ("no way forward", forward)) if not ok]
        note = "bad news in stages" if not missing else "bad news with " + ", ".join(missing)
        quote = sentence_around(turn.text, first.start)
        evidence.append(Evidence(turn.turn, quote, SignalKind.REFUSAL.value, not missing, note))
    return worst, evidence


def evidence_pass(transcript: Transcript, rubric: Rubric, context: GradingContext) -> EvidencePass:
    turns, attempts = analyse_turns(transcript, context)
    results = []
    for criterion in rubric.criteria:
        if not _applies(criterion, turns, context):
            results.append(CriterionResult(criterion, None))
            continue
        if criterion.evidence.rule == "bad_news":
            level, evidence = _score_bad_news(turns)
        elif criterion.evidence.rule == "mediation":
            from grading.mediation import score_mediation  # it builds on this module

            level, evidence = score_mediation(turns, transcript, context)
        else:
            level, evidence = _score_signals(criterion, turns)
        results.append(CriterionResult(criterion, level, evidence))
    from grading.critical import find_criticals  # it reads this module's turns

    return EvidencePass(turns, results, attempts, find_criticals(turns, transcript, context))
