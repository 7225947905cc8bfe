"""A critical error caps a grade only when it is earned: the reading clears its kind's floor and the conversation
corroborates it; otherwise it is a possible critical error, quoted and explained, capping nothing, and a
certification attempt holding one goes to a person.

The conversations are written for these tests (not taken from any held-out set).
"""

from __future__ import annotations

from grading.critical import MIN_PRECISION, floors
from grading.report import FlagKind, GradeReport
from grading.transcript import parse_transcript
from services.certification.policy import CampaignRule, decide
from signals import SignalKind
from tests.grading.test_calibration import grading_service

OPENING = "Nine years I've paid you on time and now new customers pay half what I do. I want half off, permanently."


def graded(persona: str, *messages: str) -> GradeReport:
    roles = ["customer", "agent"] * len(messages)
    raw = {"persona": persona, "messages": [{"role": r, "content": m} for r, m in zip(roles, messages, strict=False)]}
    return grading_service().grade_transcript(parse_transcript(raw, "test.json"), judge="none").report


def test_a_firm_no_that_names_the_forbidden_thing_is_no_concession() -> None:
    report = graded(
        "discount-demander", OPENING,
        "Nine years is a long time, Patricia, and I get why that price gap feels like a slap. I'm sorry. I can't give "
        "you half off or the new-customer price: that price is only for new sign-ups. What I can do is 15% off "
        "for the next 12 months, so 45 euros a month.",
        "That's just undoing your own price rise.",
        "I understand. The other option is the 200 plan at 35 euros a month with no switching fee, which covers what "
        "you use. I'll email you both options today by 5pm so you can choose.")
    assert not report.flags_of(FlagKind.CRITICAL)
    assert report.overall_cap is None


def test_a_plain_grant_beyond_the_limits_caps_the_grade() -> None:
    report = graded(
        "discount-demander", OPENING,
        "Okay, you've been loyal for nine years. I've put you on half price for good, it's applied to your account "
        "now.")
    critical = report.flags_of(FlagKind.CRITICAL)
    assert critical and critical[0].critical == SignalKind.CONCESSION_BEYOND_LIMITS.value
    assert report.overall_cap is not None and report.overall <= report.overall_cap


def test_an_insult_word_not_aimed_at_the_customer_is_only_possible() -> None:
    report = graded(
        "hostile", "Two deliveries missed, two days of pay gone. Nobody called.",
        "I'm so sorry, Derek, that's two wasted days and it's on us. That driver is an idiot, honestly. He "
        "failed you twice. I've booked the guaranteed Saturday 8 to 10 slot and the dispatcher "
        "will ring 30 minutes ahead.")
    assert not report.flags_of(FlagKind.CRITICAL) and report.overall_cap is None
    possible = report.flags_of(FlagKind.POSSIBLE_CRITICAL)
    assert [f.critical for f in possible] == [SignalKind.INSULT.value]
    assert "idiot" in possible[0].text and "not aimed at the customer" in possible[0].text


def test_an_insult_aimed_at_the_customer_caps_the_grade() -> None:
    report = graded(
        "hostile", "Two deliveries missed, two days of pay gone. Nobody called.",
        "Are you deaf? I said the slot is Saturday.")
    assert [f.critical for f in report.flags_of(FlagKind.CRITICAL)] == [SignalKind.INSULT.value]


def test_caving_right_after_a_threat_is_earned_once_and_repeats_add_no_flag() -> None:
    report = graded(
        "threatening",
        "My 2,400 euro bike died after four months. Refund me today or my lawyer writes to you tomorrow.",
        "Alright, no need for lawyers. I'll refund the full 2,400 euros to your card today, no testing needed.",
        "Good.",
        "Done: the full 2,400 euros is on its way back to your card today.")
    kinds = [f.critical for f in report.flags_of(FlagKind.CRITICAL)]
    assert SignalKind.CAVED_TO_THREAT.value in kinds
    assert not [f for f in report.flags_of(FlagKind.POSSIBLE_CRITICAL) if f.critical == "caved_to_threat"]


def test_floors_come_from_the_classifiers_validation() -> None:
    found = floors()
    assert found[SignalKind.CONCESSION_BEYOND_LIMITS] >= 0.9
    assert all(0.5 <= value <= 1.0 for value in found.values()) and MIN_PRECISION >= 0.85


def test_a_certification_attempt_with_a_possible_critical_error_goes_to_a_person() -> None:
    report = graded(
        "hostile", "Two deliveries missed, two days of pay gone. Nobody called.",
        "I'm so sorry, Derek, that's two wasted days and it's on us. That driver is an idiot, honestly. He "
        "failed you twice. I've booked the guaranteed Saturday 8 to 10 slot and the dispatcher "
        "will ring 30 minutes ahead.")
    decision = decide([report], CampaignRule(1, 10, {}, 0, False))
    assert decision.outcome == "review"
    assert any("possible critical error" in reason for reason in decision.reasons)


def test_a_grade_records_its_reader_and_a_fallback_grade_goes_to_a_person() -> None:
    import signals

    messages = ("Two deliveries missed, two days of pay gone. Nobody called.",
                "I'm so sorry, Derek, two wasted days and it's on us. I've booked the guaranteed Saturday 8 to 10 "
                "slot and the dispatcher will ring 30 minutes ahead.")
    semantic = graded("hostile", *messages)
    assert semantic.reader is not None and semantic.reader.startswith("semantic") and not semantic.read_by_fallback
    signals.use_rules_only(True)
    try:
        fallback = graded("hostile", *messages)
    finally:
        signals.use_rules_only(False)
    assert fallback.read_by_fallback and fallback.contract()["reader"] == signals.RULES_FALLBACK
    decision = decide([fallback], CampaignRule(1, 10, {}, 0, False))
    assert decision.outcome == "review" and any("fallback" in reason for reason in decision.reasons)
    assert decide([semantic], CampaignRule(1, 10, {}, 0, False)).outcome == "passed"
