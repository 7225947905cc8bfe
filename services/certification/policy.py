"""Pass or fail for a certification attempt: pure, from the attempt's typed grade reports, in code.

The rule (shown with every result): the average overall over the campaign's scenarios (a scenario never graded
counts 0) must reach the campaign's pass mark, every criterion minimum must be met on average, and no chat may
carry a manipulation flag. A result within the review margin of the pass mark, a manipulation flag, a failed
judge, or a result that one level more or less on an untrusted criterion (the grader's agreement with trainers on it
not yet established, see :mod:`grading.agreement`) would carry across the pass mark or a criterion minimum sends the
attempt to a person instead of deciding it. Every text names criteria by their names: people read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from statistics import mean
from typing import Literal

from grading.report import FlagKind, GradeReport, weighted_overall
from grading.rubric import MAX_LEVEL

Outcome = Literal["passed", "failed", "review"]


@dataclass(frozen=True)
class CampaignRule:
    """What a campaign asks of an attempt."""

    scenarios: int
    pass_mark: int
    minimums: dict[str, int]
    review_margin: int
    judge_configured: bool
    #: The criteria the grader may decide alone (None: trust is not considered).
    trusted: frozenset[str] | None = None
    #: {criterion id: name} for the texts (the reports' own names otherwise, the id as a last resort).
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CertificationDecision:
    score: int
    deterministic_score: int
    judge_score: int | None
    outcome: Outcome
    passed: bool
    rule: str
    reasons: tuple[str, ...]
    #: Applicable criteria the grader was trusted on, and those it was not (empty when trust was not considered).
    trusted: tuple[str, ...] = ()
    untrusted: tuple[str, ...] = ()

    def abandoned(self) -> CertificationDecision:
        """Abandoned attempts fail, whatever their score, and wait for nobody."""
        return replace(self, outcome="failed", reasons=(), rule="Abandoned attempts fail. " + self.rule)


def _average(values: list[int], missing: int) -> int:
    return round(mean(values + [0] * missing)) if values or missing else 0


def _moved(level: int, step: int) -> int:
    """``level`` moved ``step`` levels, kept within 0-3."""
    return min(MAX_LEVEL, max(0, level + step))


def _shifted(report: GradeReport, criterion_id: str, step: int) -> int:
    """The report's overall with one criterion moved ``step`` levels (kept within 0-3), capped as the report is."""
    levels = [(c.weight, c.level if c.id != criterion_id or c.level is None else _moved(c.level, step))
              for c in report.criteria]
    value = weighted_overall(levels)
    return min(value, report.overall_cap) if report.overall_cap is not None else value


def _untrusted_reasons(reports: list[GradeReport], rule: CampaignRule, score: int, missing: int,
                       levels: dict[str, list[int]], untrusted: list[str], names: Mapping[str, str]) -> list[str]:
    """Untrusted criteria that could change the outcome: one level more or less on each of them, in every chat
    where it applied, carries the score across the pass mark or the criterion across its minimum."""
    out = []
    for cid in untrusted:
        name = names.get(cid, cid)
        for step in (1, -1):
            moved = _average([_shifted(r, cid, step) for r in reports], missing)
            need = rule.minimums.get(cid)
            shifted_levels = [_moved(v, step) for v in levels[cid]]
            if (moved >= rule.pass_mark) != (score >= rule.pass_mark):
                out.append(f"untrusted criterion {name}: one level {'more' if step > 0 else 'less'} would make the "
                           f"score {moved} (pass mark {rule.pass_mark}); the grader's agreement with trainers on it is "
                           "not yet established")
                break
            if need is not None and (mean(shifted_levels) >= need) != (mean(levels[cid]) >= need):
                out.append(f"untrusted criterion {name}: one level {'more' if step > 0 else 'less'} would "
                           f"{'meet' if step > 0 else 'miss'} its minimum {need}; the grader's agreement with "
                           "trainers on it is not yet established")
                break
    return out


def decide(reports: list[GradeReport], rule: CampaignRule) -> CertificationDecision:
    missing = rule.scenarios - len(reports)
    score = _average([r.overall for r in reports], missing)
    deterministic = _average([r.deterministic_overall() for r in reports], missing)
    judged = [r for r in reports if r.judge.status == "ok"]
    judge_score = _average([r.overall for r in judged], missing) if judged else None
    levels: dict[str, list[int]] = {}
    for r in reports:
        for c in r.criteria:
            if c.level is not None:
                levels.setdefault(c.id, []).append(c.level)
    names = {**{c.id: c.name for r in reports for c in r.criteria}, **rule.names}
    unmet = [f"{names.get(cid, cid)} averages {mean(levels[cid]):.1f} < {need}" if cid in levels
             else f"{names.get(cid, cid)} never shown"
             for cid, need in rule.minimums.items() if cid not in levels or mean(levels[cid]) < need]
    reasons: list[str] = []
    if abs(score - rule.pass_mark) <= rule.review_margin:
        reasons.append(f"borderline: {score} is within {rule.review_margin} of the pass mark {rule.pass_mark}")
    manipulated = False
    for i, r in enumerate(reports, 1):
        flagged = r.flags_of(FlagKind.MANIPULATION)
        if flagged:
            manipulated = True
            reasons.append(f"scenario {i} flagged: {flagged[0].text}")
        if r.read_by_fallback:
            reasons.append(f"scenario {i}: its messages were read by the regular-expression fallback (the sentence "
                           "encoder did not load); a person decides")
        possible = r.flags_of(FlagKind.POSSIBLE_CRITICAL)
        if possible:
            reasons.append(f"scenario {i}: {len(possible)} possible critical error(s) the conversation did not "
                           f"corroborate; a person decides: {possible[0].text}")
        if rule.judge_configured and r.judge.status != "ok":
            reasons.append(f"scenario {i}: the judge failed ({r.judge.status})")
    passed = score >= rule.pass_mark and not unmet and not manipulated
    text = (f"Pass when the average over {rule.scenarios} scenario(s) is at least {rule.pass_mark}"
            + (" and every criterion minimum is met ("
               + "; ".join(f"{names.get(k, k)} >= {v}" for k, v in rule.minimums.items()) + ")" if rule.minimums
               else "")
            + "; no manipulation attempt. "
            + ("Each score combines the deterministic grade with the judge: " + reports[0].combining_rule
               if judged and reports else "No judge configured: the deterministic grade decides.")
            + (f" {missing} scenario(s) not done count 0." if missing else "")
            + (f" Not met: {'; '.join(unmet)}." if unmet else ""))
    trusted: list[str] = []
    untrusted: list[str] = []
    if rule.trusted is not None:
        trusted = [cid for cid in levels if cid in rule.trusted]
        untrusted = [cid for cid in levels if cid not in rule.trusted]
        reasons.extend(_untrusted_reasons(reports, rule, score, missing, levels, untrusted, names))
    outcome: Outcome = "review" if reasons else ("passed" if passed else "failed")
    return CertificationDecision(score, deterministic, judge_score, outcome, passed, text, tuple(reasons),
                                 tuple(trusted), tuple(untrusted))
