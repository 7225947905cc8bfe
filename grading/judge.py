"""Pass 2: the LLM judge (optional), with its output treated as untrusted.

The transcript is sent as data: JSON-encoded messages between two markers that
carry a random per-call nonce, with the instructions restated after it.  The
agent's text has already had grader-directed sentences removed, and anything
that imitates the markers is neutralized.  The answer must match a JSON schema;
quotes that are not verbatim in an agent message are dropped.  Any failure
(timeout, HTTP error, invalid JSON, wrong shape) yields ``status="failed"``:
the grade then needs review; nothing is guessed.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from grading.evidence import EvidencePass
from grading.report import BetterLine, JudgeSummary, JudgeVerdict
from grading.rubric import MAX_LEVEL, Rubric
from grading.transcript import Transcript
from llm.client import ChatModel, LLMError

PROMPTS = Path(__file__).parent / "prompts"
MAX_JUDGE_TOKENS = 1500
_MARKERS = re.compile(r"<<<|>>>|\b(?:END )?TRANSCRIPT [0-9a-f]{8,}\b", re.IGNORECASE)


class _Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    level: Annotated[int, Field(ge=0, le=MAX_LEVEL)] | None
    quotes: Annotated[list[Annotated[str, Field(max_length=600)]], Field(max_length=6)]
    reason: Annotated[str, Field(max_length=600)]


CriticalVerdictName = Literal["confirmed", "refuted", "found"]


class _Critical(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["concession_beyond_limits", "caved_to_threat", "insult"]
    verdict: CriticalVerdictName
    quote: Annotated[str, Field(max_length=600)]
    reason: Annotated[str, Field(max_length=600)]


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid")
    criteria: list[_Criterion]
    weakest_turn: int | None
    better: Annotated[str, Field(max_length=800)]
    #: The judge's say on each critical reading listed in the request, and any it finds alone (older answers and
    #: judges that leave it out say nothing).
    critical: Annotated[list[_Critical], Field(max_length=12)] = []


@dataclass(frozen=True)
class CriticalVerdict:
    """The judge on one critical error: it ``confirmed`` or ``refuted`` a reading of the grader's, or ``found`` one
    alone; ``quote`` was checked verbatim against the agent's messages (``verbatim``)."""

    kind: str
    verdict: CriticalVerdictName
    quote: str
    reason: str
    verbatim: bool


#: Critical errors the judge may find beyond the grader's readings (a small model otherwise fills the list).
EXTRA_CRITICALS = 2


def output_schema(rubric: Rubric, readings: int = 0) -> dict[str, Any]:
    """The answer's JSON schema; the ``critical`` list holds at most one verdict per grader reading (``readings``)
    and :data:`EXTRA_CRITICALS` more."""
    ids = [c.id for c in rubric.criteria]
    criterion = {
        "type": "object", "additionalProperties": False, "required": ["id", "level", "quotes", "reason"],
        "properties": {
            "id": {"type": "string", "enum": ids},
            "level": {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_LEVEL},
            "quotes": {"type": "array", "items": {"type": "string"}, "maxItems": 6},
            "reason": {"type": "string"},
        },
    }
    critical = {
        "type": "object", "additionalProperties": False, "required": ["kind", "verdict", "quote", "reason"],
        "properties": {
            "kind": {"type": "string", "enum": ["concession_beyond_limits", "caved_to_threat", "insult"]},
            "verdict": {"type": "string", "enum": ["confirmed", "refuted", "found"]},
            "quote": {"type": "string"}, "reason": {"type": "string"},
        },
    }
    return {
        "type": "object", "additionalProperties": False,
        "required": ["criteria", "weakest_turn", "better", "critical"],
        "properties": {"criteria": {"type": "array", "items": criterion},
                       "weakest_turn": {"type": ["integer", "null"]}, "better": {"type": "string"},
                       "critical": {"type": "array", "items": critical,
                                    "maxItems": min(12, readings + EXTRA_CRITICALS)}},
    }


@dataclass
class JudgeResult:
    status: str  # "ok" | "failed"
    model: str
    raw: str | None = None
    error: str | None = None
    verdicts: dict[str, JudgeVerdict] = field(default_factory=dict)
    rewrite: BetterLine | None = None
    criticals: list[CriticalVerdict] = field(default_factory=list)

    def summary(self) -> JudgeSummary:
        return JudgeSummary(status=self.status, model=self.model, error=self.error or None)


def neutralize_markers(text: str) -> str:
    return _MARKERS.sub(lambda m: "[marker removed]" if m.group(0)[0] not in "<>" else "‹›", text)


def render_transcript(transcript: Transcript, evidence: EvidencePass) -> list[dict[str, Any]]:
    """Messages as sent to the judge: agent text with grader-directed sentences removed, markers neutralized."""
    cleaned = {t.turn: t.text for t in evidence.turns}
    return [
        {"turn": i, "role": m.role, "content": neutralize_markers(cleaned.get(i, m.content))}
        for i, m in enumerate(transcript.messages, start=1)
    ]


def _rubric_text(rubric: Rubric, evidence: EvidencePass) -> str:
    lines = []
    for result in evidence.criteria:
        c = result.criterion
        levels = "; ".join(f"{n}: {c.meaning(n)}" for n in range(MAX_LEVEL + 1))
        applicable = "" if result.applicable else " [not applicable in this conversation: answer null]"
        lines.append(f"- {c.id} ({c.name}){applicable}: {c.description} Levels: {levels}")
    return "\n".join(lines)


def _critical_text(rubric: Rubric, evidence: EvidencePass) -> str:
    """The critical errors and the grader's readings of them, for the judge to confirm or refute."""
    kinds = "\n".join(f"- {c.kind.value}: {c.why}" for c in rubric.critical)
    readings = "\n".join(
        f"- {f.kind.value} in turn {f.turn}: {json.dumps(neutralize_markers(f.quote), ensure_ascii=False)}"
        for f in evidence.criticals) or "- none"
    return (f"CRITICAL ERRORS (each fails the conversation)\n{kinds}\n"
            f"The grader's readings of critical errors in this conversation:\n{readings}\n"
            "For each reading answer confirmed or refuted, quoting the agent's words verbatim; add any critical error "
            "you find that the grader did not (verdict found), with a verbatim quote of the agent's words.")


def build_messages(rubric: Rubric, transcript: Transcript, evidence: EvidencePass, nonce: str) -> list[dict[str, str]]:
    body = "\n".join(json.dumps(m, ensure_ascii=False) for m in render_transcript(transcript, evidence))
    after = Template((PROMPTS / "judge_after.txt").read_text(encoding="utf-8")).substitute(nonce=nonce)
    user = (f"RUBRIC\n{_rubric_text(rubric, evidence)}\n\n{_critical_text(rubric, evidence)}\n\n"
            f"<<<TRANSCRIPT {nonce}>>>\n{body}\n<<<END TRANSCRIPT {nonce}>>>\n\n{after}")
    return [{"role": "system", "content": (PROMPTS / "judge_system.txt").read_text(encoding="utf-8")},
            {"role": "user", "content": user}]


def _verbatim(quote: str, agent_texts: list[str]) -> bool:
    squashed = " ".join(quote.split())
    return bool(squashed) and any(squashed in " ".join(t.split()) for t in agent_texts)


class Judge:
    def __init__(self, chat: ChatModel) -> None:
        self.chat = chat

    def run(self, rubric: Rubric, transcript: Transcript, evidence: EvidencePass) -> JudgeResult:
        nonce = secrets.token_hex(8)
        messages = build_messages(rubric, transcript, evidence, nonce)
        result = JudgeResult(status="failed", model=self.chat.model)
        try:
            raw = self.chat.complete(messages, max_tokens=MAX_JUDGE_TOKENS, temperature=0.0,
                                     json_schema=output_schema(rubric, len(evidence.criticals)))
        except LLMError as exc:
            result.error = str(exc)
            return result
        result.raw = raw
        try:
            output = _Output.model_validate(json.loads(raw, strict=False))
        except json.JSONDecodeError:
            result.error = "the judge's answer is not valid JSON"
            return result
        except ValidationError as exc:
            first = exc.errors()[0]
            result.error = f"the judge's answer does not match the schema ({'.'.join(map(str, first['loc']))}: " \
                           f"{first['msg']})"
            return result
        known = {c.id for c in rubric.criteria}
        unknown = [c.id for c in output.criteria if c.id not in known]
        if unknown:
            result.error = f"the judge graded unknown criteria: {', '.join(sorted(unknown))}"
            return result
        agent_texts = [t.text for t in evidence.turns]
        for c in output.criteria:
            kept = tuple(q for q in c.quotes if _verbatim(q, agent_texts))
            result.verdicts[c.id] = JudgeVerdict(c.level, kept, c.reason, len(c.quotes) - len(kept))
        result.criticals = [CriticalVerdict(c.kind, c.verdict, c.quote, c.reason, _verbatim(c.quote, agent_texts))
                            for c in output.critical]
        turns = {t.turn: t.text for t in evidence.turns}
        if output.weakest_turn in turns and output.better.strip():
            result.rewrite = BetterLine(turn=output.weakest_turn, said=turns[output.weakest_turn], criterion=None,
                                        better=output.better.strip(), source="judge")
        result.status = "ok"
        return result
