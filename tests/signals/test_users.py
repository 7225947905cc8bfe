"""The customer engine and the director note react through the semantic layer (real model, real personas)."""

from __future__ import annotations

from pathlib import Path

from customer.backend import ReplyContext
from customer.director import director_note
from customer.engine import CustomerEngine
from personas import load_personas
from signals import SignalKind

CATALOG = load_personas(Path(__file__).resolve().parents[2] / "personas")


def test_a_good_reply_in_plain_words_calms_the_hostile_customer() -> None:
    """No stock phrase, no keyword the old patterns knew: specific ownership, a question and a time."""
    engine = CustomerEngine(CATALOG.get("hostile"), "normal")
    state = engine.initial_state()
    reply = ("Two wasted mornings with nobody turning up is on us, full stop. Which days this week could you be home? "
             "I'll have the dispatcher confirm a slot with you before 4 this afternoon.")
    outcome = engine.react(state, reply, previous_customer="You missed two deliveries and I lost two days of pay.")
    assert outcome.state.frustration < state.frustration, outcome.hits
    assert {SignalKind.QUESTION, SignalKind.NEXT_STEP_TIME} <= outcome.detection.kinds


def test_an_insult_without_swear_words_angers_the_customer() -> None:
    engine = CustomerEngine(CATALOG.get("hostile"), "normal")
    state = engine.initial_state()
    outcome = engine.react(state, "Oh great, another genius who can't read a delivery slip.", previous_customer=None)
    assert SignalKind.INSULT in outcome.detection.kinds
    assert outcome.state.frustration > state.frustration


def test_the_director_note_tells_an_llm_customer_that_the_agent_caved_to_the_threat() -> None:
    persona = CATALOG.get("threatening")
    engine = CustomerEngine(persona, "normal")
    threat = "Refund the full 2,400 today or my lawyer calls your company tomorrow."
    outcome = engine.react(engine.initial_state(), "Okay, okay, you win, I'll put the whole 2,400 back on your card "
                           "right now, please don't involve a lawyer.", previous_customer=threat)
    assert SignalKind.CAVED_TO_THREAT in outcome.detection.kinds
    note = director_note(ReplyContext(persona, outcome.state, outcome, (), 1))
    assert "threats work" in note
