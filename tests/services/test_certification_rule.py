"""The pass/fail rule of a certification attempt, as a pure function (no database)."""

from __future__ import annotations

from typing import Any

from grading.report import COMBINING_RULE
from services.certification import decide


def report(overall: int, levels: dict[str, int | None], *, judge: str = "not_configured",
           flags: tuple[str, ...] = (), deterministic: dict[str, int | None] | None = None) -> dict[str, Any]:
    det = deterministic or levels
    return {"overall": overall, "overall_cap": None, "flags": list(flags), "judge": {"status": judge},
            "combining_rule": COMBINING_RULE,
            "criteria": [{"id": cid, "weight": 1.0, "level": lv, "deterministic_level": det[cid]}
                         for cid, lv in levels.items()]}


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
    flagged = decide([report(95, {"apology": 3}, flags=("manipulation: text aimed at the grader in turn 2",))], 1,
                     pass_mark=70, minimums={}, margin=0, judge_configured=False)
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
