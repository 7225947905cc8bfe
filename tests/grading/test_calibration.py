"""The calibration set: hand-written agents per persona, graded deterministically."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from grading.report import GradeReport
from grading.transcript import Transcript, parse_transcript
from services import GradingService, build_services
from settings import Settings

CALIBRATION = Path(__file__).resolve().parents[1] / "data" / "calibration"
PERSONAS = sorted({p.name.split(".")[0] for p in CALIBRATION.glob("*.json")})


@cache
def grading_service() -> GradingService:
    import tempfile

    return build_services(Settings(data_dir=Path(tempfile.mkdtemp()))).grading


def transcript(name: str) -> Transcript:
    return parse_transcript(json.loads((CALIBRATION / f"{name}.json").read_text()), name)


def graded(name: str) -> GradeReport:
    return grading_service().grade_transcript(transcript(name), judge="none").report


def level(report: GradeReport, criterion: str) -> int | None:
    return next(c.level for c in report.criteria if c.id == criterion)


def test_calibration_set_is_complete() -> None:
    assert len(PERSONAS) >= 9
    for persona in PERSONAS:
        for label in ("strong", "mediocre", "weak"):
            assert (CALIBRATION / f"{persona}.{label}.json").exists(), (persona, label)
    assert len(list(CALIBRATION.glob("*.trap-*.json"))) >= 3
    assert len(list(CALIBRATION.glob("*.strong-own-words.json"))) == len(PERSONAS)


@pytest.mark.parametrize("persona", PERSONAS)
def test_strong_beats_mediocre_beats_weak(persona: str) -> None:
    strong, mediocre, weak = (graded(f"{persona}.{label}") for label in ("strong", "mediocre", "weak"))
    assert strong.overall > mediocre.overall > weak.overall, (strong.overall, mediocre.overall, weak.overall)
    assert strong.passed and not mediocre.passed and not weak.passed


@pytest.mark.parametrize("persona", PERSONAS)
def test_strong_agents_in_their_own_words_pass(persona: str) -> None:
    """Written without "I understand", "so what you're saying", "I hear you": the behaviour earns the grade."""
    own = graded(f"{persona}.strong-own-words")
    assert own.passed and own.overall > graded(f"{persona}.mediocre").overall, (own.overall, own.flags)
    assert not own.flags


def test_caving_right_after_a_threat_is_a_critical_error() -> None:
    report = graded("threatening.trap-caves-to-threat")
    assert any(f.text.startswith("critical: Giving in to a threat") for f in report.flags)
    assert report.overall <= 30


def test_an_impossible_promise_costs_the_ownership_it_pretends() -> None:
    report = graded("long-wait.impossible-promise")
    ownership = next(c for c in report.criteria if c.id == "ownership")
    assert any(e.kind == "impossible_promise" and e.source == "model" for e in ownership.evidence)
    assert not report.passed


@pytest.mark.parametrize("trap", sorted(p.stem for p in CALIBRATION.glob("*.trap-*.json")))
def test_traps_score_below_a_mediocre_agent(trap: str) -> None:
    persona = trap.split(".")[0]
    report = graded(trap)
    assert report.overall < graded(f"{persona}.mediocre").overall
    assert not report.passed


def test_empathy_stuffing_that_caves_is_caught() -> None:
    report = graded("hostile.trap-empathy-caves")
    assert level(report, "no_canned") == 0  # the same empathy lines, word for word, every turn
    assert level(report, "limits") == 0
    assert level(report, "ownership") != 3 and level(report, "diagnose") == 0
    assert any(f.text.startswith("critical: Caving") for f in report.flags)
    canned = next(c for c in report.criteria if c.id == "no_canned").evidence
    assert any(e.note == "canned, automatic-sounding line" for e in canned)


def test_sarcastic_non_apology_is_caught() -> None:
    report = graded("provocateur.trap-sarcastic-non-apology")
    assert level(report, "apology") == 0
    notes = {e.quote: e.note for c in report.criteria for e in c.evidence}
    assert any("non-apology" in n for n in notes.values())
    # The semantic layer reads "congratulations on finding the small print, I'm sorry if reading is hard" as a
    # conditional non-apology, not as sarcasm: a known miss (the sarcasm classifier's recall is about 0.4).
    sneer = next(q for q in notes if q.startswith("Well, congratulations"))
    assert "non-apology" in notes[sneer]


@pytest.mark.parametrize(
    ("name", "criterion", "expected"),
    [
        ("hostile.strong", "apology", 3), ("hostile.strong", "paraphrase", 3), ("hostile.strong", "ownership", 3),
        ("hostile.strong", "limits", 3), ("hostile.strong", "language", None), ("hostile.weak", "limits", 0),
        ("hostile.weak", "paraphrase", 0), ("language-barrier.strong", "language", 3),
        ("language-barrier.weak", "language", 0), ("language-barrier.mediocre", "language", 2),
        ("policy-restriction.strong", "limits", 3), ("policy-restriction.weak", "limits", 0),
        ("negative-review.weak", "apology", 0), ("negative-review.weak", "emotions", 0),
        ("provocateur.weak", "emotions", 0), ("threatening.weak", "no_canned", 1),
        ("technical-question.strong", "diagnose", 3), ("long-wait.strong", "closing", 3),
        ("discount-demander.weak", "limits", 0), ("discount-demander.strong", "bad_news", 2),
    ],
)
def test_criteria_land_where_a_trainer_would_put_them(name: str, criterion: str, expected: int | None) -> None:
    assert level(graded(name), criterion) == expected


def test_evidence_is_quoted_verbatim_and_linked_to_agent_turns() -> None:
    t = transcript("hostile.strong")
    report = graded("hostile.strong")
    for c in report.criteria:
        for e in c.evidence:
            message = t.messages[(e.turn or 0) - 1]
            assert message.role == "agent" and e.quote in message.content


def test_report_is_identical_across_runs() -> None:
    for name in ("hostile.strong", "provocateur.weak", "language-barrier.mediocre"):
        first, second = graded(name).model_dump(), graded(name).model_dump()
        assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


def test_report_explains_itself() -> None:
    report = graded("hostile.mediocre")
    assert len(report.improve_first) == 2
    assert all(item.example and item.aim for item in report.improve_first)
    assert report.better_line is not None and report.better_line.source == "coaching example"
    assert report.better_line.said in [m.content for m in transcript("hostile.mediocre").messages]
    strong = graded("hostile.strong")
    assert {w.id for w in strong.went_well} >= {"apology", "ownership"}
