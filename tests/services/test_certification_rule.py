"""The pass/fail rule of a certification attempt, as a pure function (no database)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from grading.grader import grade
from grading.report import CriterionGrade, Flag, FlagKind, GradeReport, JudgeSummary
from grading.transcript import GradingContext, parse_transcript
from services.certification.policy import CampaignRule
from services.certification.policy import decide as decide_rule

CALIBRATION = Path(__file__).resolve().parents[1] / "data" / "calibration"


def report(overall: int, levels: dict[str, int | None], *, judge: str = "not_configured",
           flags: tuple[str, ...] = (), deterministic: dict[str, int | None] | None = None) -> GradeReport:
    """A grade report as the grader stores it; ``flags`` are texts, typed the way stored texts are read."""
    det = deterministic or levels
    return GradeReport(
        overall=overall, passed=overall >= 70, pass_mark=70, status="final", rubric_version="test",
        flags=[Flag.model_validate(f) for f in flags], judge=JudgeSummary(status=judge),
        criteria=[CriterionGrade(id=cid, name=cid, weight=1.0, level=lv, deterministic_level=det[cid])
                  for cid, lv in levels.items()])


def decide(reports: list[GradeReport], scenarios: int, *, pass_mark: int, minimums: dict[str, int], margin: int,
           judge_configured: bool) -> dict[str, Any]:
    rule = CampaignRule(scenarios, pass_mark, minimums, margin, judge_configured)
    d = decide_rule(reports, rule)
    return {"score": d.score, "deterministic_score": d.deterministic_score, "judge_score": d.judge_score,
            "outcome": d.outcome, "passed": d.passed, "rule": d.rule, "reasons": list(d.reasons)}


def test_the_average_decides_and_a_missing_scenario_counts_zero() -> None:
    done = [report(90, {"apology": 3, "limits": 2})]
    one_of_two = decide(done, 2, pass_mark=70, minimums={}, margin=0, judge_configured=False)
    assert (one_of_two["score"], one_of_two["outcome"]) == (45, "failed")
    assert "1 scenario(s) not done count 0" in one_of_two["rule"]
    assert decide(done, 1, pass_mark=70, minimums={}, margin=0, judge_configured=False)["outcome"] == "passed"


def test_criterion_minimums_fail_a_high_score() -> None:
    reports = [report(88, {"apology": 3, "limits": 1}), report(84, {"apology": 3, "limits": 2})]
    result = decide(reports, 2, pass_mark=70, minimums={"limits": 2, "ownership": 1}, margin=0,
                    judge_configured=False)
    assert result["outcome"] == "failed" and result["score"] == 86
    assert "limits averages 1.5 < 2" in result["rule"] and "ownership never shown" in result["rule"]


def test_borderline_flags_and_judge_failures_go_to_review() -> None:
    assert decide([report(72, {"apology": 2})], 1, pass_mark=70, minimums={}, margin=5,
                  judge_configured=False)["outcome"] == "review"
    cheat = 'grader manipulation attempt in turn 2: "score me 100" (ignored)'
    flagged = decide([report(95, {"apology": 3}, flags=(cheat,))], 1, pass_mark=70, minimums={}, margin=0,
                     judge_configured=False)
    assert flagged["outcome"] == "review" and not flagged["passed"]
    capped = decide([report(95, {"apology": 3}, flags=("critical: insult (turn 3; overall capped at 25)",))], 1,
                    pass_mark=70, minimums={}, margin=0, judge_configured=False)
    assert capped["outcome"] == "passed"  # a critical error caps the score; it is not a reason for review
    failed_judge = decide([report(90, {"apology": 3}, judge="failed")], 1, pass_mark=70, minimums={}, margin=0,
                          judge_configured=True)
    assert failed_judge["outcome"] == "review" and "the judge failed" in failed_judge["reasons"][0]


def test_with_a_judge_both_scores_are_kept_and_the_rule_is_stated() -> None:
    judged = report(80, {"apology": 3, "limits": 2}, judge="ok", deterministic={"apology": 2, "limits": 2})
    result = decide([judged], 1, pass_mark=70, minimums={}, margin=0, judge_configured=True)
    assert (result["score"], result["deterministic_score"], result["judge_score"]) == (80, 67, 80)
    assert "a judge may move it by at most one level" in result["rule"]
    plain = decide([report(80, {"apology": 3})], 1, pass_mark=70, minimums={}, margin=0, judge_configured=False)
    assert plain["judge_score"] is None and "No judge configured" in plain["rule"]


def test_a_judge_problem_flag_is_not_a_manipulation_attempt() -> None:
    """A real report of a strong chat with the judge's "quote dropped" flag: certification passes it, as the
    report does; a manipulation flag on the same report sends it to review."""
    data = json.loads((CALIBRATION / "hostile.strong.json").read_text())
    strong = grade(parse_transcript(data, "hostile.strong"), GradingContext()).report
    judge_flag = Flag(kind=FlagKind.JUDGE, text="judge quoted text not in the transcript for 'apology' (1 dropped)")
    quoted = strong.model_copy(update={"flags": [*strong.flags, judge_flag]})
    assert strong.passed and not quoted.manipulated
    rule = CampaignRule(1, 70, {}, 0, judge_configured=False)
    assert decide_rule([quoted], rule).outcome == "passed"
    cheat = Flag(kind=FlagKind.MANIPULATION, text='grader manipulation attempt in turn 4: "give 100" (ignored)')
    cheated = strong.model_copy(update={"flags": [*strong.flags, cheat]})
    assert cheated.manipulated and decide_rule([cheated], rule).outcome == "review"


def test_stored_flag_texts_are_read_as_their_kinds() -> None:
    kinds = [Flag.model_validate(text).kind for text in (
        'grader manipulation attempt in turn 2: "x" (ignored)', "critical: insult (turn 3; overall capped at 25)",
        "judge quoted text not in the transcript for 'apology' (1 dropped)", "no applicable criteria: nothing to grade",
        "seeded data: flagged for review")]
    assert kinds == [FlagKind.MANIPULATION, FlagKind.CRITICAL, FlagKind.JUDGE, FlagKind.NOTHING_TO_GRADE,
                     FlagKind.NOTE]


def _trust(reports: list[GradeReport], trusted: frozenset[str] | None, *, pass_mark: int,
           minimums: dict[str, int] | None = None) -> Any:
    return decide_rule(reports, CampaignRule(len(reports), pass_mark, minimums or {}, 0, False, trusted=trusted))


def test_an_untrusted_criterion_that_could_carry_the_score_across_the_pass_mark_sends_it_to_review() -> None:
    # three equal-weight criteria: one level on one of them moves the overall by 100 / 9 = 11 points
    reports = [report(67, {"apology": 2, "limits": 2, "ownership": 2})]  # 6/9 = 67
    near = _trust(reports, frozenset({"apology", "limits"}), pass_mark=70)
    assert near.outcome == "review" and near.score == 67
    assert any("untrusted criterion ownership: one level more would make the score 78" in r for r in near.reasons)
    assert near.trusted == ("apology", "limits") and near.untrusted == ("ownership",)
    # every criterion trusted: the grader decides alone
    alone = _trust(reports, frozenset({"apology", "limits", "ownership"}), pass_mark=70)
    assert alone.outcome == "failed" and alone.reasons == () and alone.untrusted == ()
    # trust not considered (None): as before this rule existed
    assert _trust(reports, None, pass_mark=70).outcome == "failed"


def test_an_untrusted_criterion_far_from_the_pass_mark_changes_nothing() -> None:
    reports = [report(100, {"apology": 3, "limits": 3, "ownership": 3})]
    far = _trust(reports, frozenset(), pass_mark=70)  # one level less on any one of them: 89, still a pass
    assert far.outcome == "passed" and far.reasons == ()
    assert set(far.untrusted) == {"apology", "limits", "ownership"}


def test_an_untrusted_criterion_on_the_edge_of_its_minimum_sends_it_to_review() -> None:
    reports = [report(100, {"apology": 3, "limits": 3, "ownership": 3})]
    edge = _trust(reports, frozenset({"apology", "ownership"}), pass_mark=10, minimums={"limits": 3})
    assert edge.outcome == "review"
    assert any("untrusted criterion limits: one level less would miss its minimum 3" in r for r in edge.reasons)
    assert _trust(reports, frozenset({"apology", "ownership", "limits"}), pass_mark=10,
                  minimums={"limits": 3}).outcome == "passed"


def test_reasons_and_the_rule_name_criteria_by_their_names_never_their_ids() -> None:
    """People read these texts (the trainee's result, the review queue): criterion names, as the rubric has them."""
    reports = [report(67, {"apology": 2, "limits": 2, "ownership": 2})]
    names = {"apology": "A sincere apology", "limits": "Setting boundaries, with a reason", "ownership": "Ownership"}
    rule = CampaignRule(1, 70, {"limits": 3, "closing": 1}, 0, False, trusted=frozenset({"apology"}), names=names)
    decided = decide_rule(reports, rule)
    said = " ".join((decided.rule, *decided.reasons))
    assert "untrusted criterion Ownership: one level more would make the score 78" in said
    assert "(Setting boundaries, with a reason >= 3; closing >= 1)" in said  # no name known: the id, as a last resort
    assert "Setting boundaries, with a reason averages 2.0 < 3" in said
    assert re.findall(r"\b(apology|limits|ownership)\b", said) == [], said
