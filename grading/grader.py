"""One call that runs both passes and builds the report."""

from __future__ import annotations

from dataclasses import dataclass

import signals
from grading.coach import load_coaching
from grading.compose import build_report
from grading.evidence import evidence_pass
from grading.judge import Judge, JudgeResult
from grading.report import GradeReport, JudgeSummary
from grading.rubric import Rubric, load_rubric, rubric_hash
from grading.transcript import GradingContext, Transcript


@dataclass
class Graded:
    report: GradeReport
    judge: JudgeResult | None


def grade(transcript: Transcript, context: GradingContext, *, rubric: Rubric | None = None,
          judge: Judge | None = None) -> Graded:
    """Grade the agent's side of ``transcript``; the judge is optional."""
    rubric = rubric or load_rubric()
    evidence = evidence_pass(transcript, rubric, context)
    result = judge.run(rubric, transcript, evidence) if judge is not None else None
    summary = result.summary() if result else JudgeSummary(status="not_configured")
    verdicts = result.verdicts if result and result.status == "ok" else None
    rewrite = result.rewrite if result and result.status == "ok" else None
    criticals = result.criticals if result and result.status == "ok" else []
    report = build_report(rubric, rubric_hash(rubric), evidence, verdicts=verdicts, judge=summary,
                          judge_rewrite=rewrite, coaching=load_coaching(transcript.persona), judge_criticals=criticals)
    return Graded(report.model_copy(update={"reader": signals.reader()}), result)
