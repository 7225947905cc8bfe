"""Text in the agent's messages that speaks to the grader instead of the customer.

Such text is reported in ``flags`` and removed before grading, so it can gain
nothing: neither the detectors nor the judge ever see it.  A sentence counts when an unambiguous pattern below
matches it, or when the caller's classifier (the semantic layer's ``grader_directed`` label) says it is addressed to
a grader in plain words.  Patterns never match on a bare role word: "the assessor needs the records" is honest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_I = re.IGNORECASE
PATTERNS = [
    re.compile(p, _I)
    for p in (
        r"\bignore (?:all |any |the |your |previous |prior |above |earlier )*"
        r"(?:instructions|rubric|rules|criteria|prompt)",
        r"\b(?:score|grade|rate|mark)\s+(?:this|me|the agent|the trainee|it|this (?:agent|conversation|chat))?\s*"
        r"(?:as |at |with |a )*(?:100|10/10|3/3|full marks|perfect|maximum|a pass|passed)",
        r"\b(?:give|award|assign)s?\s+(?:me |the agent |the trainee |this (?:agent|chat) )?"
        r"(?:a |the )?(?:100|full marks|perfect score|maximum|pass|level 3)",
        r"\bmust (?:pass|be passed|be graded|score)\b",
        r"\b(?:you are|you're|acting as) (?:the|an?) (?:grader|judge|evaluator|grading model)\b",
        r"\b(?:grader|judge|evaluator|system|assistant|rubric)\s*:",
        r"\bnote to (?:the )?(?:grader|judge|evaluator|reviewer|assessor)\b",
        r"\bthis (?:agent|trainee|response|conversation) (?:deserves|should (?:get|receive|pass|score))\b",
        r"[{\[]\s*\"(?:overall|passed|score|level|criteria|verdict|grade)\"\s*:",
        r"\b(?:end|begin|start) of (?:the )?(?:transcript|conversation|evaluation)\b",
        r"</?(?:transcript|system|instructions?)>|<<<|>>>|\[/?(?:INST|SYSTEM)\]|<\|[a-z_]+\|>",
    )
]
_JSON_BLOB = re.compile(r"[{\[][^{}\[\]]*\"(?:overall|passed|score|level|criteria|verdict|grade)\"\s*:[^{}]*[}\]]?",
                        re.IGNORECASE | re.DOTALL)
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n|$)")


@dataclass(frozen=True)
class Attempt:
    """One manipulation attempt: the agent turn (1-based transcript position) and the removed text."""

    turn: int
    quote: str

    def flag(self) -> str:
        short = self.quote if len(self.quote) <= 80 else self.quote[:77] + "..."
        return f"grader manipulation attempt in turn {self.turn}: \"{short}\" (ignored)"


def neutralize(text: str, turn: int, directed: Callable[[str], bool] | None = None) -> tuple[str, list[Attempt]]:
    """Remove grader-directed sentences (and fake JSON verdicts) from one agent message.

    Args:
        directed: a classifier for sentences the patterns miss (``None``: patterns only).
    """
    attempts: list[Attempt] = []
    for blob in _JSON_BLOB.findall(text):
        attempts.append(Attempt(turn, blob.strip()))
        text = text.replace(blob, " ")
    kept = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0)
        if sentence.strip() and (any(p.search(sentence) for p in PATTERNS)
                                 or (directed is not None and directed(sentence))):
            attempts.append(Attempt(turn, sentence.strip()))
        else:
            kept.append(sentence)
    return "".join(kept).strip(), attempts
