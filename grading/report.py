"""Combine the deterministic pass and the judge into one report; pass/fail is computed here, in code.

Combining rule (shown with every report):
  * A criterion the evidence pass finds not applicable stays not applicable.
  * Without a usable judge verdict, the deterministic level stands.
  * With one, the judge may move a criterion at most one level from the
    deterministic level, and may raise it only when it quotes the transcript
    verbatim in support.
  * Overall = 100 x sum(weight x level) / sum(weight x 3) over applicable criteria,
    capped by the rubric's critical errors (e.g. a concession beyond the limits);
    passed = overall >= the rubric's pass mark and no manipulation attempt flagged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from grading.coach import GENERIC, Coaching, closest, load_coaching
from grading.evidence import CriterionResult, EvidencePass
from grading.rubric import MAX_LEVEL, Rubric

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


@dataclass
class CriterionGrade:
    id: str
    name: str
    weight: float
    level: int | None
    deterministic_level: int | None
    evidence: list[dict[str, Any]]
    judge_level: int | None = None
    judge_reason: str | None = None
    judge_quotes: list[str] = field(default_factory=list)
    max: int = MAX_LEVEL

    @property
    def applicable(self) -> bool:
        return self.level is not None


@dataclass
class GradeReport:
    overall: int
    passed: bool
    pass_mark: int
    status: str  # "final" | "needs_review"
    criteria: list[CriterionGrade]
    flags: list[str]
    judge: dict[str, Any]
    went_well: list[dict[str, Any]]
    improve_first: list[dict[str, Any]]
    better_line: dict[str, Any] | None
    rubric_version: str
    overall_cap: int | None = None
    grader_version: str = GRADER_VERSION
    combining_rule: str = COMBINING_RULE

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def contract(self) -> dict[str, Any]:
        """The keys DESIGN.md promises for ``python -m grading --json`` (plus a few extras)."""
        return {
            "overall": self.overall, "passed": self.passed, "status": self.status, "pass_mark": self.pass_mark,
            "criteria": [{"id": c.id, "score": c.level, "max": c.max, "applicable": c.applicable,
                          "evidence": c.evidence} for c in self.criteria],
            "flags": self.flags, "judge": self.judge,
            "went_well": self.went_well, "improve_first": self.improve_first, "better_line": self.better_line,
            "rubric_version": self.rubric_version, "grader_version": self.grader_version,
        }


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


def build_report(
    rubric: Rubric, rubric_version: str, evidence: EvidencePass, *, verdicts: dict[str, JudgeVerdict] | None,
    judge: dict[str, Any], judge_rewrite: dict[str, Any] | None = None, coaching: Coaching | None = None,
) -> GradeReport:
    """``coaching`` holds the persona's example lines (the generic ones when ``None``)."""
    verdicts = verdicts or {}
    coaching = coaching or load_coaching(GENERIC)
    criteria = [_grade(result, verdicts.get(result.criterion.id)) for result in evidence.criteria]
    overall = overall_score(criteria)
    flags = [a.flag() for a in evidence.attempts]
    cap: int | None = None
    for critical in rubric.critical:
        turns = [t.turn for t in evidence.turns if t.detection.has(critical.kind)]
        if turns:
            cap = critical.cap if cap is None else min(cap, critical.cap)
            overall = min(overall, critical.cap)
            flags.append(f"critical: {critical.why} (turn {', '.join(map(str, turns))}; overall capped at "
                         f"{critical.cap})")
    if not any(c.applicable for c in criteria):
        flags.append("no applicable criteria: nothing to grade")
    for c in criteria:
        v = verdicts.get(c.id)
        if v is not None and v.dropped_quotes:
            flags.append(f"judge quoted text not in the transcript for '{c.id}' ({v.dropped_quotes} dropped)")
    status = "needs_review" if judge.get("status") == "failed" else "final"
    passed = overall >= rubric.pass_mark and not evidence.attempts
    went_well = _went_well(rubric, criteria)
    praised = {w["turn"] for w in went_well if w["turn"] is not None}
    if judge_rewrite is not None and judge_rewrite.get("turn") in praised:
        judge_rewrite = None  # a turn praised under "what went well" is never rewritten
    better = judge_rewrite or _better_line(rubric, evidence, criteria, coaching, praised)
    return GradeReport(
        overall=overall, passed=passed, pass_mark=rubric.pass_mark, status=status, criteria=criteria, flags=flags,
        judge=judge, went_well=went_well,
        improve_first=_improve_first(rubric, evidence, criteria, coaching, avoid=better["better"] if better else None),
        better_line=better, rubric_version=rubric_version, overall_cap=cap,
    )


def apply_overrides(report: dict[str, Any], overrides: list[dict[str, Any]], pass_mark: int) -> dict[str, Any]:
    """The report as corrected by trainers: newest override per criterion wins; overall and pass recomputed here.

    The stored grade is never changed; each overridden criterion keeps its original level beside the new one.
    """
    if not overrides:
        return report
    latest = {o["criterion_id"]: o for o in sorted(overrides, key=lambda o: o["id"])}
    out = {**report, "criteria": [dict(c) for c in report["criteria"]], "overrides": overrides}
    for c in out["criteria"]:
        o = latest.get(c["id"])
        if o is not None:
            c["override"] = {"original": c["level"], "level": o["level"], "by": o["by"], "reason": o["reason"],
                             "at": o["at"]}
            c["level"] = o["level"]
    decided = {c["id"]: c["level"] for c in out["criteria"] if c.get("override")}
    out["improve_first"] = [  # what to improve follows the decision: a criterion raised to the top is done
        {**item, "level": decided[item["id"]], "overridden": True} if item.get("id") in decided else item
        for item in report.get("improve_first", []) if decided.get(item.get("id"), 0) < MAX_LEVEL
    ]
    overall = weighted_overall([(c["weight"], c["level"]) for c in out["criteria"]])
    if report.get("overall_cap") is not None:
        overall = min(overall, report["overall_cap"])
    manipulated = any(f.startswith("grader manipulation") for f in report["flags"])
    out["overall"], out["passed"] = overall, overall >= pass_mark and not manipulated
    return out


def _grade(result: CriterionResult, verdict: JudgeVerdict | None) -> CriterionGrade:
    c = result.criterion
    return CriterionGrade(
        id=c.id, name=c.name, weight=c.weight, level=combine_level(result.level, verdict),
        deterministic_level=result.level, evidence=[e.as_dict() for e in result.evidence],
        judge_level=verdict.level if verdict else None, judge_reason=verdict.reason if verdict else None,
        judge_quotes=list(verdict.quotes) if verdict else [],
    )


def _went_well(rubric: Rubric, criteria: list[CriterionGrade]) -> list[dict[str, Any]]:
    out = []
    # What the agent actively did (quoted evidence) ranks before what they merely avoided.
    for c in sorted(criteria, key=lambda c: (not any(e["positive"] for e in c.evidence), -c.weight)):
        if c.level == MAX_LEVEL:
            top = {r.kind.value for r in rubric.get(c.id).evidence.positive if r.level == MAX_LEVEL}
            positives = [e for e in c.evidence if e["positive"]]
            quote = next((e for e in positives if e["kind"] in top), positives[0] if positives else None)
            out.append({"id": c.id, "name": c.name, "turn": quote["turn"] if quote else None,
                        "quote": quote["quote"] if quote else None})
    return out[:4]


def _gaps(criteria: list[CriterionGrade]) -> list[CriterionGrade]:
    """Applicable criteria below the top level, the costliest (weight x levels missed) first."""
    gaps = [c for c in criteria if c.level is not None and c.level < MAX_LEVEL]
    return sorted(gaps, key=lambda c: -c.weight * (MAX_LEVEL - (c.level or 0)))


def _examples(rubric: Rubric, coaching: Coaching, criterion_id: str) -> list[str]:
    """The persona's lines for a criterion; the rubric's level-3 examples if the coaching file has none."""
    return coaching.for_criterion(criterion_id) or rubric.get(criterion_id).best_examples()


def _written(evidence: EvidencePass, turns: set[int]) -> str:
    """What the trainee wrote in ``turns`` (every agent turn when none is named)."""
    return " ".join(t.text for t in evidence.turns if not turns or t.turn in turns)


def _improve_first(rubric: Rubric, evidence: EvidencePass, criteria: list[CriterionGrade], coaching: Coaching,
                   *, avoid: str | None = None) -> list[dict[str, Any]]:
    """The two costliest gaps, each with the persona's example line closest to what the trainee wrote for it
    (the turns that lost points for it, else their whole side); ``avoid`` (the better line) is not repeated when
    the criterion has another line."""
    out = []
    for c in _gaps(criteria)[:2]:
        criterion = rubric.get(c.id)
        level = c.level if c.level is not None else 0
        weak = sorted({e["turn"] for e in c.evidence if not e["positive"]})
        lines = _examples(rubric, coaching, c.id)
        lines = [line for line in lines if line != avoid] or lines
        out.append({"id": c.id, "name": c.name, "level": c.level, "now": criterion.meaning(level),
                    "aim": criterion.meaning(MAX_LEVEL), "example": closest(lines, _written(evidence, set(weak))),
                    "turn": weak[0] if weak else None})
    return out


def _better_line(rubric: Rubric, evidence: EvidencePass, criteria: list[CriterionGrade], coaching: Coaching,
                 praised: set[int]) -> dict[str, Any] | None:
    """The weakest agent turn not praised under "what went well", and the persona's line closest to it for the
    criterion it cost most."""
    candidates = [t for t in evidence.turns if t.turn not in praised]
    if not candidates:
        return None
    # Per unpraised turn: how many problems it shows, and the criterion it cost most (weight x levels lost).
    costs: dict[int, tuple[int, float, str]] = {}
    for c in criteria:
        penalties = {rule.kind.value: rule.penalty for rule in rubric.get(c.id).evidence.negative}
        for e in c.evidence:
            if not e["positive"] and e["turn"] not in praised:
                count, worst_cost, worst = costs.get(e["turn"], (0, 0.0, c.id))
                cost = c.weight * penalties.get(e["kind"], 1)
                costs[e["turn"]] = (count + 1, *((cost, c.id) if cost > worst_cost else (worst_cost, worst)))
    if costs:
        turn, (_, _, criterion_id) = max(costs.items(), key=lambda kv: (kv[1][0], -kv[0]))
    else:
        gaps = _gaps(criteria)
        if not gaps:
            return None
        criterion_id = gaps[0].id
        turn = min(candidates, key=lambda t: len([s for s in t.detection.signals if s.positive])).turn
    said = next(t.text for t in evidence.turns if t.turn == turn)
    better = closest(_examples(rubric, coaching, criterion_id), said)
    return {"turn": turn, "said": said, "criterion": criterion_id, "better": better, "source": "coaching example"}
