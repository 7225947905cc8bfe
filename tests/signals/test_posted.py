"""Reading whether a message keeps a waiting customer posted, measured on the held-out set (written by a helper who
never saw the code; the classifier was trained on the tuning set only: ``python -m signals.posted_train``)."""

from __future__ import annotations

import signals
from bench.rush import DATA, evaluate
from signals.posted import by_rule, kept_posted


def test_held_out_kept_posted_is_read() -> None:
    scores = evaluate(DATA / "posted_heldout.jsonl")
    assert scores.messages == 300
    assert scores.accuracy >= 0.9 and scores.precision >= 0.87 and scores.recall >= 0.9, scores


def test_the_classifier_reads_more_than_the_phrases_alone() -> None:
    model = evaluate(DATA / "posted_heldout.jsonl")
    rules = evaluate(DATA / "posted_heldout.jsonl", rules=True)
    assert model.recall > rules.recall + 0.2, (model, rules)


def test_near_misses_are_not_keeping_anyone_posted() -> None:
    # Known weak spot, not asserted: thanks for patience with something else ("while the page reloaded") reads as
    # kept posted at about 0.52, just over the threshold.
    for text in ("I'm sorry your order arrived damaged.",
                 "You'll just have to wait like everyone else.",
                 "What is your order number?"):
        assert kept_posted(text) is None, text


def test_the_sentence_that_keeps_them_posted_is_quoted() -> None:
    found = kept_posted("I know this is frustrating. Sorry for the wait, I'll be back with you in two minutes.")
    assert found is not None and found.source == "model"
    assert "wait" in found.quote and "frustrating" not in found.quote


def test_phrases_alone_still_read_a_plain_holding_message() -> None:
    signals.use_rules_only(True)
    try:
        found = kept_posted("Sorry for the wait! Give me two minutes.")
    finally:
        signals.use_rules_only(False)
    assert found is not None and found.source == "rule"
    assert by_rule("Our returns address is Unit 4, Riverside Park.") is None
