"""Build the grade report from the evidence pass and the judge's verdicts (see :mod:`grading.report` for the
combining rule): levels, the critical-error caps and flags, pass/fail, and the coaching (what went well, what to
improve first, a better line)."""

from __future__ import annotations

from collections.abc import Sequence

from grading.coach import GENERIC, Coaching, closest, load_coaching
from grading.critical import judged
from grading.evidence import CriterionResult, EvidencePass
from grading.judge import CriticalVerdict
from grading.report import (
    BetterLine,
    CriterionGrade,
    EvidenceItem,
    Flag,
    FlagKind,
    GradeReport,
    ImproveFirst,
    JudgeSummary,
    JudgeVerdict,
    WentWell,
    combine_level,
    overall_score,
)
from grading.rubric import MAX_LEVEL, Rubric


def build_report(
    rubric: Rubric, rubric_version: str, evidence: EvidencePass, *, verdicts: dict[str, JudgeVerdict] | None,
    judge: JudgeSummary, judge_rewrite: BetterLine | None = None, coaching: Coaching | None = None,
    judge_criticals: Sequence[CriticalVerdict] = (),
) -> GradeReport:
    """``coaching`` holds the persona's example lines (the generic ones when ``None``); ``judge_criticals`` the
    judge's say on the critical errors (see :func:`grading.critical.judged`)."""
    verdicts = verdicts or {}
    coaching = coaching or load_coaching(GENERIC)
    criteria = [_grade(result, verdicts.get(result.criterion.id)) for result in evidence.criteria]
    overall = overall_score(criteria)
    flags = [Flag(kind=FlagKind.MANIPULATION, text=a.flag()) for a in evidence.attempts]
    cap: int | None = None
    findings, extra = judged(evidence.criticals, judge_criticals)
    for critical in rubric.critical:
        found = [f for f in findings if f.kind == critical.kind]
        turns = sorted({f.turn for f in found if f.earned})
        if turns:
            cap = critical.cap if cap is None else min(cap, critical.cap)
            overall = min(overall, critical.cap)
            flags.append(Flag(kind=FlagKind.CRITICAL, critical=critical.kind.value, text=f"critical: {critical.why} "
                              f"(turn {', '.join(map(str, turns))}; overall capped at {critical.cap})"))
        for f in found:
            if not f.earned:
                flags.append(Flag(kind=FlagKind.POSSIBLE_CRITICAL, critical=critical.kind.value, text=(
                    f"possible critical error, not counted: {critical.why} “{f.quote}” (turn {f.turn}, "
                    f"{f.confidence:.0%} sure): {f.missing}. In certification a person decides.")))
        unquoted = [alone for alone in extra if alone.kind == critical.kind.value and not alone.verbatim]
        if unquoted:
            flags.append(Flag(kind=FlagKind.JUDGE, text=f"judge named {len(unquoted)} critical error(s) "
                                                        f"({critical.kind.value}) without quoting the agent verbatim: "
                                                        "dropped"))
        for alone in extra:
            if alone.kind != critical.kind.value or not alone.verbatim:
                continue
            flags.append(Flag(kind=FlagKind.POSSIBLE_CRITICAL, critical=alone.kind, text=(
                f"possible critical error, found by the judge only: {critical.why} “{alone.quote}”: {alone.reason} "
                "In certification a person decides.")))
    if not any(c.applicable for c in criteria):
        flags.append(Flag(kind=FlagKind.NOTHING_TO_GRADE, text="no applicable criteria: nothing to grade"))
    for c in criteria:
        v = verdicts.get(c.id)
        if v is not None and v.dropped_quotes:
            flags.append(Flag(kind=FlagKind.JUDGE, text=f"judge quoted text not in the transcript for '{c.id}' "
                                                        f"({v.dropped_quotes} dropped)"))
    status = "needs_review" if judge.status == "failed" else "final"
    passed = overall >= rubric.pass_mark and not any(f.blocks_pass for f in flags)
    went_well = _went_well(rubric, criteria)
    praised = {w.turn for w in went_well if w.turn is not None}
    if judge_rewrite is not None and judge_rewrite.turn in praised:
        judge_rewrite = None  # a turn praised under "what went well" is never rewritten
    better = judge_rewrite or _better_line(rubric, evidence, criteria, coaching, praised)
    return GradeReport(
        overall=overall, passed=passed, pass_mark=rubric.pass_mark, status=status, criteria=criteria, flags=flags,
        judge=judge, went_well=went_well,
        improve_first=_improve_first(rubric, evidence, criteria, coaching, avoid=better.better if better else None),
        better_line=better, rubric_version=rubric_version, rubric_number=rubric.version, overall_cap=cap,
    )


def _grade(result: CriterionResult, verdict: JudgeVerdict | None) -> CriterionGrade:
    c = result.criterion
    return CriterionGrade(
        id=c.id, name=c.name, weight=c.weight, level=combine_level(result.level, verdict),
        deterministic_level=result.level, evidence=[EvidenceItem.model_validate(e.as_dict()) for e in result.evidence],
        judge_level=verdict.level if verdict else None, judge_reason=verdict.reason if verdict else None,
        judge_quotes=list(verdict.quotes) if verdict else [],
    )


def _went_well(rubric: Rubric, criteria: list[CriterionGrade]) -> list[WentWell]:
    out = []
    # What the agent actively did (quoted evidence) ranks before what they merely avoided.
    for c in sorted(criteria, key=lambda c: (not any(e.positive for e in c.evidence), -c.weight)):
        if c.level == MAX_LEVEL:
            top = {r.kind.value for r in rubric.get(c.id).evidence.positive if r.level == MAX_LEVEL}
            positives = [e for e in c.evidence if e.positive]
            quote = next((e for e in positives if e.kind in top), positives[0] if positives else None)
            out.append(WentWell(id=c.id, name=c.name, turn=quote.turn if quote else None,
                                quote=quote.quote if quote else None))
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
                   *, avoid: str | None = None) -> list[ImproveFirst]:
    """The two costliest gaps, each with the persona's example line closest to what the trainee wrote for it
    (the turns that lost points for it, else their whole side); ``avoid`` (the better line) is not repeated when
    the criterion has another line."""
    out = []
    for c in _gaps(criteria)[:2]:
        criterion = rubric.get(c.id)
        level = c.level if c.level is not None else 0
        weak = sorted({e.turn for e in c.evidence if not e.positive and e.turn is not None})
        lines = _examples(rubric, coaching, c.id)
        lines = [line for line in lines if line != avoid] or lines
        out.append(ImproveFirst(id=c.id, name=c.name, level=c.level, now=criterion.meaning(level),
                                aim=criterion.meaning(MAX_LEVEL), example=closest(lines, _written(evidence, set(weak))),
                                turn=weak[0] if weak else None))
    return out


def _better_line(rubric: Rubric, evidence: EvidencePass, criteria: list[CriterionGrade], coaching: Coaching,
                 praised: set[int]) -> BetterLine | None:
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
            if not e.positive and e.turn is not None and e.turn not in praised:
                count, worst_cost, worst = costs.get(e.turn, (0, 0.0, c.id))
                cost = c.weight * penalties.get(e.kind, 1)
                costs[e.turn] = (count + 1, *((cost, c.id) if cost > worst_cost else (worst_cost, worst)))
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
    return BetterLine(turn=turn, said=said, criterion=criterion_id, better=better, source="coaching example")
