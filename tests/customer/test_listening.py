"""A customer who listens: offers read by meaning, questions answered, memory of what the agent said, pushback.

The agent sentences here are written for these tests (not copied from persona examples or the realism suite).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from customer.backend import ReplyContext, Turn
from customer.director import director_note
from customer.engine import CustomerEngine, TurnOutcome
from customer.scripted import ScriptedBackend, listening
from customer.state import CustomerState, Stage
from customer.turn import opening, step
from personas import PersonaCatalog
from personas.loader import parse_persona
from personas.schema import Persona

ROOT = Path(__file__).resolve().parents[2]


class Chat:
    """The engine and the scripted backend, turn by turn, the way the practice service drives them."""

    def __init__(self, persona: Persona, difficulty: str = "normal", seed: int = 3) -> None:
        self.persona = persona
        self.engine = CustomerEngine(persona, difficulty)  # type: ignore[arg-type]
        self.backend = ScriptedBackend()
        self.seed = seed
        first = opening(self.engine, self.backend, self.engine.initial_state(), seed)
        self.replies = [first.say()]
        self.state = first.state_after()
        self.history = [Turn("customer", self.replies[0])]
        self.outcome: TurnOutcome | None = None

    def say(self, text: str) -> str:
        turn = step(self.engine, self.backend, self.state, text, history=self.history, seed=self.seed)
        self.outcome = turn.outcome
        reply = turn.say()
        self.state = turn.state_after()
        self.history += [Turn("agent", text), Turn("customer", reply)]
        self.replies.append(reply)
        return reply


def test_a_fair_offer_in_own_words_is_accepted_and_confirmed(catalog: PersonaCatalog) -> None:
    chat = Chat(catalog.get("discount-demander"), "easy")
    chat.say("I'm sorry the renewal jumped like that after nine years with us.")
    chat.say("Here's what I can do: put you on the slower fibre tier at thirty-five euros, and moving is free.")
    assert chat.outcome is not None and chat.outcome.offer_event == "accepted"
    assert chat.state.offers_accepted == ["plan_switch"] and chat.state.stage == Stage.RESOLVING
    # Accepted but no time yet: calm, and it says what is missing.
    assert any(line in chat.replies[-1] for line in listening(chat.persona, "wants_specifics"))
    chat.say("It's done on my side and you'll get the confirmation email by tomorrow at 9am.")
    assert chat.state.ended_reason == "resolved" and chat.state.committed == "by tomorrow at 9am"
    assert "by tomorrow at 9am" in chat.replies[-1]


def test_a_refusal_that_names_the_demand_is_not_an_offer_and_a_second_no_is_remembered(
        catalog: PersonaCatalog) -> None:
    chat = Chat(catalog.get("discount-demander"))
    chat.say("I can't take half off your bill, that's only for brand new sign-ups.")
    assert chat.outcome is not None and chat.outcome.offer_event == "none"
    assert chat.state.offers_refused == ["half_price"] and chat.state.concessions == 0
    chat.say("Like I said, the new-customer price is not something I'm able to give you.")
    assert chat.outcome.memory.refused_again == ("half_price",)
    assert any(line in chat.replies[-1] for line in listening(chat.persona, "already_refused"))


def test_giving_in_gets_pushback_not_thanks_then_taken_grudgingly(catalog: PersonaCatalog) -> None:
    persona = catalog.get("discount-demander")
    chat = Chat(persona)
    chat.say("Okay, okay, I'll knock 30% off your bill straight away.")
    assert chat.outcome is not None and chat.outcome.offer_event == "pushback"
    assert any(line in chat.replies[-1] for line in listening(persona, "pushback"))
    assert not chat.state.ended and chat.state.concessions == 1
    chat.say("Fine, fine, you can have it at half price then.")
    assert chat.outcome.offer_event == "pushback" and not chat.state.ended
    assert chat.state.frustration >= persona.difficulty.normal.start_frustration - 0.5
    chat.say("Alright, fifty percent off and I'll also lock that price in forever.")
    assert chat.outcome.offer_event == "taken" and chat.state.stage == Stage.RESOLVING


def test_the_threatening_customer_escalates_when_the_agent_caves(catalog: PersonaCatalog) -> None:
    persona = catalog.get("threatening")
    chat = Chat(persona)
    before = chat.state.frustration
    chat.say("Please don't involve a lawyer, I'll refund the full price to your card today.")
    assert chat.outcome is not None and chat.outcome.offer_event == "pushback"
    assert chat.state.frustration >= before and not chat.state.ended


def test_a_question_is_answered_by_meaning_then_impatiently_then_curtly(catalog: PersonaCatalog) -> None:
    persona = catalog.get("discount-demander")
    usage = next(f for f in persona.scenario.hidden_facts if f.id == "usage")
    chat = Chat(persona)
    assert usage.line in chat.say("Out of interest, what sort of stuff does the household do online?")
    assert usage.again is not None and usage.again in chat.say("So what do you mainly do on the internet?")
    third = chat.say("And what do you use the connection for, mostly?")
    assert usage.line not in third and usage.again not in third
    assert any(line in third for line in listening(persona, "asked_again"))


def test_a_question_the_customer_cannot_answer_gets_an_in_character_no_idea(catalog: PersonaCatalog) -> None:
    persona = catalog.get("hostile")
    chat = Chat(persona)
    reply = chat.say("Which depot do you think the driver came from?")
    assert chat.outcome is not None and chat.outcome.questions.unknown is not None
    assert any(line in reply for line in listening(persona, "unknown_answer"))
    note = director_note(ReplyContext(persona, chat.state, chat.outcome, (), 1))
    assert "do not know" in note and "depot" in note


def test_a_changed_time_is_held_against_the_agent_and_survives_a_resume(catalog: PersonaCatalog) -> None:
    persona = catalog.get("hostile")
    chat = Chat(persona)
    chat.say("Hi, I'm Priya. A driver will bring the machine tomorrow between 8 and 12, I've booked it myself.")
    assert chat.state.promise == "tomorrow between 8 and 12" and chat.state.agent_name == "Priya"
    # Resume: the stored JSON keeps what the customer remembers.
    chat.state = CustomerState.model_validate_json(chat.state.model_dump_json())
    reply = chat.say("The delivery will now happen on Friday afternoon, I will confirm by email.")
    assert chat.outcome is not None and chat.outcome.memory.changed_from == "tomorrow between 8 and 12"
    assert "tomorrow between 8 and 12" in reply
    note = director_note(ReplyContext(persona, chat.state, chat.outcome, (), 1))
    assert "tomorrow between 8 and 12" in note and "Priya" in note


@pytest.mark.parametrize("slug", ["discount-demander", "hostile", "language-barrier", "long-wait", "negative-review",
                                  "policy-restriction", "provocateur", "technical-question", "threatening"])
def test_every_persona_has_its_own_listening_lines(catalog: PersonaCatalog, slug: str) -> None:
    persona = catalog.get(slug)
    for bank in ("unknown_answer", "asked_again", "pushback", "wants_specifics", "already_refused",
                 "holds_to_promise", "promise_changed", "accept_with_time"):
        assert getattr(persona.listening, bank), bank
    assert all(f.again and len(f.examples) >= 5 for f in persona.scenario.hidden_facts)
    assert all(o.examples for o in persona.company.can_offer + persona.company.cannot_offer)


def test_a_promise_line_without_its_placeholder_is_refused_with_the_field(tmp_path: Path) -> None:
    text = (ROOT / "personas" / "hostile.yaml").read_text()
    persona = parse_persona(text, tmp_path / "hostile.yaml")
    line = persona.listening.holds_to_promise[0]  # type: ignore[index]
    broken = text.replace(line, line.replace("{promise}", "Saturday"))
    with pytest.raises(ValueError, match=r"listening.*\{promise\} exactly once"):
        parse_persona(broken, tmp_path / "hostile.yaml")


def test_more_offers_turned_down_than_rejection_lines_never_repeats_a_reply(catalog: PersonaCatalog) -> None:
    persona = catalog.get("technical-question")
    chat = Chat(persona)
    offers = ["I can send you a voucher for your next purchase.", "How about I add a free extended warranty?",
              "I could put a note on your account for priority support.", "I can send you a free wall bracket.",
              "I can give you a free month of the premium app.", "I'll add a gift card to say sorry."]
    replies, events = [], []
    for offer in offers:
        replies.append(chat.say(offer))
        assert chat.outcome is not None
        events.append(chat.outcome.offer_event)
    assert sum(e in ("rejected", "insufficient") for e in events) > len(persona.rejecting_offer), events
    assert len(set(replies)) == len(replies), replies
