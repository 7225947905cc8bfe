"""The typed grade report (what the grader returns, what is stored, what overrides produce and every reader
uses) and the rule combining the deterministic pass with the judge; pass/fail is computed in code.

Combining rule (shown with every report):
  * A criterion the evidence pass finds not applicable stays not applicable.
  * Without a usable judge verdict, the deterministic level stands.
  * With one, the judge may move a criterion at most one level from the
    deterministic level, and may raise it only when it quotes the transcript
    verbatim in support.
  * Overall = 100 x sum(weight x level) / sum(weight x 3) over applicable criteria,
    capped by the rubric's critical errors (e.g. a concession beyond the limits) that the conversation
    corroborates; an uncorroborated one is only flagged as possible and caps nothing;
    passed = overall >= the rubric's pass mark and no manipulation attempt flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from grading.rubric import MAX_LEVEL

GRADER_VERSION = "1.0.0"
COMBINING_RULE = ("Deterministic evidence sets each level; a judge may move it by at most one level and may raise it "
                  "only with a verbatim quote. Critical errors cap the overall. "
                  "Pass = overall >= pass mark and no manipulation attempt.")


@dataclass(frozen=True)
class JudgeVerdict:
    """The judge's view of one criterion, after its quotes were checked against the transcript."""

    level: int | None
    quotes: tuple[str, ...]
    reason: str
    dropped_quotes: int = 0


class Record(BaseModel):
    """A part of a stored report: read back from its JSON, extra keys of older grades ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class FlagKind(StrEnum):
    """What a flag means; every rule (pass, certification, the report page) reads the kind, never the text."""

    #: A suspected attempt to steer the grader: the chat cannot pass and certification sends it to review.
    MANIPULATION = "manipulation"
    #: A critical error (a concession beyond the limits, caving to a threat): the overall was capped.
    CRITICAL = "critical"
    #: A critical reading the conversation did not corroborate (or below its kind's floor): quoted, not capping;
    #: certification sends the attempt to a person.
    POSSIBLE_CRITICAL = "possible_critical"
    #: The judge misbehaved (quoted text not in the transcript); the quotes were dropped, the grade stands.
    JUDGE = "judge"
    #: No criterion applied: nothing was graded.
    NOTHING_TO_GRADE = "nothing_to_grade"
    #: Anything else worth a reader's attention (seeded data); no rule reads it.
    NOTE = "note"


#: How flags stored before they had a kind are read (their text began with these words).
_LEGACY_PREFIXES = (("grader manipulation", FlagKind.MANIPULATION), ("critical:", FlagKind.CRITICAL),
                    ("judge quoted", FlagKind.JUDGE), ("no applicable", FlagKind.NOTHING_TO_GRADE))


class Flag(Record):
    kind: FlagKind
    text: str
    #: For a critical or possible critical error: its kind (``concession_beyond_limits``, ``caved_to_threat``,
    #: ``insult``).
    critical: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            kind = next((k for prefix, k in _LEGACY_PREFIXES if value.startswith(prefix)), FlagKind.NOTE)
            return {"kind": kind, "text": value}
        return value

    @property
    def blocks_pass(self) -> bool:
        return self.kind == FlagKind.MANIPULATION

    def __str__(self) -> str:
        return self.text


class EvidenceItem(Record):
    """A quoted span of one agent turn and what it shows (see :class:`grading.evidence.Evidence`)."""

    turn: int | None
    quote: str
    kind: str
    positive: bool
    note: str = ""
    source: str = "rule"
    confidence: float = 1.0


class Override(Record):
    """A trainer's correction of one criterion, as applied to a report."""

    id: int
    criterion_id: str
    level: int = Field(ge=0, le=MAX_LEVEL)
    reason: str
    by: str
    at: datetime


class AppliedOverride(Record):
    """The newest override of a criterion, with the level the grader had given."""

    original: int | None
    level: int
    by: str
    reason: str
    at: datetime


class CriterionGrade(Record):
    id: str
    name: str
    weight: float
    level: int | None
    deterministic_level: int | None
    evidence: list[EvidenceItem] = []
    judge_level: int | None = None
    judge_reason: str | None = None
    judge_quotes: list[str] = []
    max: int = MAX_LEVEL
    override: AppliedOverride | None = None

    @property
    def applicable(self) -> bool:
        return self.level is not None

    @property
    def machine_level(self) -> int | None:
        """The grader's level, before any trainer's override."""
        return self.override.original if self.override is not None else self.level


class JudgeSummary(Record):
    status: str  # "ok" | "failed" | "not_configured"
    model: str | None = None
    error: str | None = None

    def contract(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True) | {"model": self.model}


class WentWell(Record):
    id: str
    name: str
    turn: int | None
    quote: str | None


class ImproveFirst(Record):
    id: str
    name: str
    level: int | None
    now: str
    aim: str
    example: str
    turn: int | None
    overridden: bool = False


class BetterLine(Record):
    turn: int | None
    said: str
    criterion: str | None = None
    better: str
    source: str


class GradeReport(Record):
    """What the grader returns, what is stored (as its JSON), what overrides produce and what every reader uses."""

    overall: int
    passed: bool
    pass_mark: int
    status: str  # "final" | "needs_review"
    criteria: list[CriterionGrade]
    flags: list[Flag] = []
    judge: JudgeSummary = JudgeSummary(status="not_configured")
    went_well: list[WentWell] = []
    improve_first: list[ImproveFirst] = []
    better_line: BetterLine | None = None
    rubric_version: str
    #: The rubric's version number (None in grades stored before rubrics were versioned: those used version 1).
    rubric_number: int | None = None
    overall_cap: int | None = None
    #: Which reader read the messages (``signals.reader()``): the semantic layer and its classifiers' digest, or
    #: ``rules fallback``; None on grades stored before it was recorded.
    reader: str | None = None
    grader_version: str = GRADER_VERSION
    combining_rule: str = COMBINING_RULE
    #: The trainers' overrides applied to this report (empty for the grader's own report).
    overrides: list[Override] = []

    @property
    def manipulated(self) -> bool:
        return any(f.blocks_pass for f in self.flags)

    @property
    def overridden(self) -> bool:
        return any(c.override is not None for c in self.criteria)

    def flags_of(self, kind: FlagKind) -> list[Flag]:
        return [f for f in self.flags if f.kind == kind]

    def criterion(self, criterion_id: str) -> CriterionGrade:
        return next(c for c in self.criteria if c.id == criterion_id)

    def find(self, criterion_id: str) -> CriterionGrade | None:
        """The criterion, or None when this report has no criterion of that id."""
        return next((c for c in self.criteria if c.id == criterion_id), None)

    @property
    def read_by_fallback(self) -> bool:
        """The messages were read by the regular-expression fallback (the encoder did not load)."""
        from signals import RULES_FALLBACK

        return self.reader == RULES_FALLBACK

    def deterministic_overall(self) -> int:
        """The overall from the deterministic levels alone (the judge's moves undone), capped the same way."""
        value = weighted_overall([(c.weight, c.deterministic_level) for c in self.criteria])
        return min(value, self.overall_cap) if self.overall_cap is not None else value

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str) -> GradeReport:
        return cls.model_validate_json(text)

    def contract(self, **ids: int) -> dict[str, Any]:
        """The keys DESIGN.md promises for ``python -m grading --json`` (plus a few extras); ``ids`` (a stored
        grade's ``session_id`` and ``grade_id``) come first."""
        return {
            **ids,
            "overall": self.overall, "passed": self.passed, "status": self.status, "pass_mark": self.pass_mark,
            "criteria": [{"id": c.id, "score": c.level, "max": c.max, "applicable": c.applicable,
                          "evidence": [e.model_dump() for e in c.evidence]} for c in self.criteria],
            "flags": [f.text for f in self.flags], "flag_kinds": [f.kind.value for f in self.flags],
            "judge": self.judge.contract(),
            "went_well": [w.model_dump() for w in self.went_well],
            "improve_first": [i.model_dump() for i in self.improve_first],
            "better_line": self.better_line.model_dump() if self.better_line else None,
            "rubric_version": self.rubric_version, "rubric_number": self.rubric_number,
            "grader_version": self.grader_version, "reader": self.reader,
        }

    def with_overrides(self, overrides: Sequence[Override]) -> GradeReport:
        """The report as corrected by trainers: newest override per criterion wins; overall and pass recomputed
        against this report's own pass mark (a campaign's, for a certification chat) and cap.

        The report itself is never changed; each overridden criterion keeps its original level beside the new one.
        """
        if not overrides:
            return self
        latest = {o.criterion_id: o for o in sorted(overrides, key=lambda o: o.id)}
        criteria = []
        for c in self.criteria:
            o = latest.get(c.id)
            if o is None:
                criteria.append(c)
                continue
            applied = AppliedOverride(original=c.machine_level, level=o.level, by=o.by, reason=o.reason, at=o.at)
            criteria.append(c.model_copy(update={"level": o.level, "override": applied}))
        decided = {c.id: c.level for c in criteria if c.override is not None}
        improve = [  # what to improve follows the decision: a criterion raised to the top is done
            i.model_copy(update={"level": decided[i.id], "overridden": True}) if i.id in decided else i
            for i in self.improve_first if (decided.get(i.id) or 0) < MAX_LEVEL
        ]
        overall = weighted_overall([(c.weight, c.level) for c in criteria])
        if self.overall_cap is not None:
            overall = min(overall, self.overall_cap)
        return self.model_copy(update={
            "criteria": criteria, "improve_first": improve, "overrides": list(overrides), "overall": overall,
            # what went well follows the decision too: a criterion a trainer lowered is no longer praised, and one
            # a trainer raised to the top is (without a quote: the trainer's reason is under the criterion)
            "went_well": [w for w in self.went_well if decided.get(w.id, MAX_LEVEL) == MAX_LEVEL] + [
                WentWell(id=c.id, name=c.name, turn=None, quote=None) for c in criteria
                if c.override is not None and c.level == MAX_LEVEL and c.id not in {w.id for w in self.went_well}],
            "passed": overall >= self.pass_mark and not self.manipulated})


def combine_level(deterministic: int | None, verdict: JudgeVerdict | None) -> int | None:
    if deterministic is None or verdict is None or verdict.level is None:
        return deterministic
    level = min(deterministic + 1, max(deterministic - 1, verdict.level))
    if level > deterministic and not verdict.quotes:
        return deterministic
    return level


def weighted_overall(weighted_levels: list[tuple[float, int | None]]) -> int:
    """100 x sum(weight x level) / sum(weight x 3) over the applicable (non-None) levels."""
    applicable = [(w, lv) for w, lv in weighted_levels if lv is not None]
    total = sum(w * MAX_LEVEL for w, _ in applicable)
    return round(100 * sum(w * lv for w, lv in applicable) / total) if total else 0


def overall_score(criteria: list[CriterionGrade]) -> int:
    return weighted_overall([(c.weight, c.level) for c in criteria])
