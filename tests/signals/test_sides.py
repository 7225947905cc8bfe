"""Reading whether a mediator takes sides, measured on the held-out set (written by a helper who never saw the code;
the classifier was trained on the tuning set only: ``python -m signals.sides_train``)."""

from __future__ import annotations

import signals
from bench.mediation import DATA, evaluate
from signals.sides import masked, taking_sides

NAMES = ("Elena Vasquez", "Marcus Webb")


def test_held_out_side_taking_is_read() -> None:
    scores = evaluate(DATA / "sides_heldout.jsonl")
    assert scores.messages == 320
    assert scores.accuracy >= 0.8 and scores.precision >= 0.78 and scores.recall >= 0.75, scores
    assert scores.direction >= 0.65, scores


def test_names_are_masked_so_the_reader_judges_stances() -> None:
    assert masked("Mrs Vasquez, Marcus is right.", NAMES) == "Mrs Alex, Sam is right."


def test_near_misses_stay_neutral() -> None:
    for text in ("Elena, I can hear how much this anniversary means to you.",
                 "You're right that we made the mistake here, Marcus, and I'm sorry.",
                 "So, Marcus, your point is that you checked in first. Elena, yours is that you booked first.",
                 "You both have every reason to be upset with us."):
        assert taking_sides(text, NAMES, frozenset()) is None, text


def test_rules_alone_still_read_plain_side_taking() -> None:
    signals.use_rules_only(True)
    try:
        found = taking_sides("Marcus, you're right, you were here first.", NAMES, frozenset({1}))
    finally:
        signals.use_rules_only(False)
    assert found is not None and found.favours == 1 and found.source == "rule"
