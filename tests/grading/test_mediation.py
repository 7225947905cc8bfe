"""The fair-mediation criterion (workshop: resolving disputes between customers): both heard, no side taken, a
resolution both accept; cited with evidence. Real detectors and grader."""

from __future__ import annotations

from grading.context import grading_context
from grading.grader import grade
from grading.report import CriterionGrade
from grading.transcript import Line, Transcript
from personas import PersonaCatalog

ELENA, MARCUS = "Elena Vasquez", "Marcus Webb"
OPENING = (Line("customer", "I booked suite 412 in June for our anniversary and someone is in it.", ELENA),
           Line("customer", "I checked in an hour ago. I've unpacked. I'm not moving.", MARCUS))
FAIR = [
    "Elena, Marcus, I'm so sorry: we booked the same suite twice, and that is our mistake, not yours.",
    "Elena, I can hear how much this anniversary means to you. Marcus, I understand you need a quiet night before "
    "your interview.",
    "Here is my suggestion: Marcus stays in 412, and Elena, suite 508 has the same sea view and balcony at no extra "
    "cost, ready by 6pm today, with a complimentary anniversary dinner.",
]


def _mediation(catalog: PersonaCatalog, agent: list[str], accepted: tuple[str, ...] | None,
               slug: str = "dispute") -> CriterionGrade:
    messages = list(OPENING)
    for text in agent:
        messages += [Line("agent", text), Line("customer", "Hm.", ELENA)]
    report = grade(Transcript(slug, tuple(messages), accepted), grading_context(catalog.get(slug), slug)).report
    return next(c for c in report.criteria if c.id == "mediation")


def test_both_heard_no_sides_and_both_accept_is_full_marks(catalog: PersonaCatalog) -> None:
    result = _mediation(catalog, FAIR, (ELENA, MARCUS))
    assert result.level == 3
    notes = {e.note for e in result.evidence}
    assert {"hears Elena", "hears Marcus", "both customers accepted the resolution"} <= notes
    assert all(e.positive for e in result.evidence)


def test_taking_a_side_caps_it_and_is_quoted(catalog: PersonaCatalog) -> None:
    sided = [*FAIR[:2], "Marcus, you're right, you were here first, so the suite is yours.", FAIR[2]]
    result = _mediation(catalog, sided, (ELENA, MARCUS))
    assert result.level == 1
    taken = [e for e in result.evidence if e.kind == "takes_sides"]
    assert taken and not taken[0].positive and taken[0].turn == 7
    assert "you're right" in taken[0].quote and "Marcus's side" in taken[0].note


def test_hearing_only_one_side_loses_the_point(catalog: PersonaCatalog) -> None:
    one_sided = ["Elena, I'm so sorry, I can hear how much this anniversary means to you.", FAIR[2]]
    result = _mediation(catalog, one_sided, (ELENA, MARCUS))
    assert result.level == 2
    assert any(e.note == "Marcus was never acknowledged" and not e.positive for e in result.evidence)


def test_a_resolution_only_one_accepts_is_not_a_resolution(catalog: PersonaCatalog) -> None:
    result = _mediation(catalog, FAIR, (MARCUS,))
    assert result.level == 2
    assert any(e.kind == "resolution" and not e.positive and "only Marcus" in e.note for e in result.evidence)


def test_a_transcript_file_counts_a_resolution_proposed_to_both(catalog: PersonaCatalog) -> None:
    assert _mediation(catalog, FAIR, None).level == 3
    assert _mediation(catalog, FAIR[:2], None).level == 2


def test_it_applies_only_where_there_are_two_customers(catalog: PersonaCatalog) -> None:
    messages = (Line("customer", "You missed two deliveries!"), Line("agent", "I'm so sorry, that's on us."))
    report = grade(Transcript("hostile", messages), grading_context(catalog.get("hostile"), "hostile")).report
    assert next(c for c in report.criteria if c.id == "mediation").level is None
