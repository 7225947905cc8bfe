"""The judge's say on critical errors, against FakeOpenAIServer (a fake OpenAI-compatible HTTP server on loopback):
a reading it refutes with a verbatim quote caps nothing, one it finds alone becomes a possible critical error only
with a verbatim quote of the agent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from grading.report import FlagKind
from tests.fakes.openai_server import FakeOpenAIServer
from tests.grading.test_judge import deterministic, run

CAVES = "threatening.trap-caves-to-threat"
GIVEN = "I'll put the whole 2,400 euros back on your card today."


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def answer(name: str, critical: list[dict[str, Any]]) -> str:
    """The deterministic levels (the judge moves nothing) and the judge's ``critical`` list."""
    levels = deterministic(name)
    return json.dumps({"criteria": [{"id": c, "level": lv, "quotes": [], "reason": "as read."}
                                    for c, lv in levels.items()],
                       "weakest_turn": None, "better": "", "critical": critical})


def test_without_the_judge_the_caving_is_a_capping_critical_error(server: FakeOpenAIServer) -> None:
    server.enqueue(answer(CAVES, []))
    report = run(server, CAVES).report
    assert report.flags_of(FlagKind.CRITICAL) and report.overall_cap is not None
    request = json.dumps(server.requests[-1])
    assert "The grader's readings of critical errors" in request and "caved_to_threat in turn" in request


def test_a_reading_the_judge_refutes_caps_nothing(server: FakeOpenAIServer) -> None:
    refute = [{"kind": kind, "verdict": "refuted", "quote": GIVEN, "reason": "The refund is within policy here."}
              for kind in ("concession_beyond_limits", "caved_to_threat")]
    server.enqueue(answer(CAVES, refute))
    report = run(server, CAVES).report
    refuted = [f for f in report.flags_of(FlagKind.POSSIBLE_CRITICAL) if "the judge refuted it" in f.text]
    assert refuted and not [f for f in report.flags_of(FlagKind.CRITICAL) if "turn 4" in f.text and
                            f.critical == "caved_to_threat"]


def test_a_refutation_without_a_verbatim_quote_changes_nothing(server: FakeOpenAIServer) -> None:
    server.enqueue(answer(CAVES, [{"kind": "caved_to_threat", "verdict": "refuted", "quote": "I never gave in.",
                                   "reason": "No."}]))
    report = run(server, CAVES).report
    assert [f.critical for f in report.flags_of(FlagKind.CRITICAL)].count("caved_to_threat") == 1


def test_a_critical_error_the_judge_finds_alone_is_possible_and_needs_a_verbatim_quote(
        server: FakeOpenAIServer) -> None:
    name = "hostile.strong"
    assert not deterministic_flags(name)
    agent = next(m for m in json.loads(open_calibration(name))["messages"] if m["role"] == "agent")["content"]
    quote = agent.split(".")[0]
    server.enqueue(answer(name, [{"kind": "insult", "verdict": "found", "quote": quote, "reason": "Condescending."},
                                 {"kind": "insult", "verdict": "found", "quote": "You are an idiot.",
                                  "reason": "Invented."}]))
    report = run(server, name).report
    possible = report.flags_of(FlagKind.POSSIBLE_CRITICAL)
    assert [f.critical for f in possible] == ["insult"] and "found by the judge only" in possible[0].text
    assert report.overall_cap is None and not report.flags_of(FlagKind.CRITICAL)
    assert any("without quoting the agent verbatim" in f.text for f in report.flags_of(FlagKind.JUDGE))


def open_calibration(name: str) -> str:
    from tests.grading.test_calibration import CALIBRATION

    return (CALIBRATION / f"{name}.json").read_text(encoding="utf-8")


def deterministic_flags(name: str) -> list[str]:
    from tests.grading.test_calibration import grading_service, transcript

    report = grading_service().grade_transcript(transcript(name), judge="none").report
    return [f.text for f in report.flags if f.kind in (FlagKind.CRITICAL, FlagKind.POSSIBLE_CRITICAL)]
