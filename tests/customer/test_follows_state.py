"""The scripted customer's lines follow what was offered, accepted and refused.

Three contradictions seen in a browser walk: a customer who agreed to a Saturday slot closing with "Okay, today
works."; an offered weekend slot answered with "I can't take another day off"; "Let's do it" followed by "I'd want it
in writing before I agree". The agent sentences are written for these tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from customer.slots import fit, offered_slot, read_slot, schedule
from personas import PersonaCatalog
from personas.loader import parse_persona
from tests.customer.test_listening import ROOT, Chat

HEARD = "Derek, I'm so sorry. Two missed deliveries and two days of pay lost, that's awful and it's on us."
SATURDAY = ("I can book you the guaranteed Saturday priority slot, 8 to 10am, and the dispatcher rings 30 minutes "
            "before.")


@pytest.mark.parametrize("seed", range(4))
def test_a_later_time_for_an_email_does_not_change_the_slot(catalog: PersonaCatalog, seed: int) -> None:
    chat = Chat(catalog.get("hostile"), seed=seed)
    chat.say(HEARD)
    chat.say(SATURDAY)
    assert not chat.state.ended
    reply = chat.say("I'll email you the confirmation today, with the order number on it.")
    assert chat.outcome is not None and chat.outcome.memory.changed_from is None
    assert not re.search(r"before (?:it was|you said)|which is it|what changed", reply, re.IGNORECASE)
    assert chat.state.promise is not None and "saturday" in chat.state.promise.lower()


@pytest.mark.parametrize("seed", range(4))
def test_the_customer_closes_on_the_agreed_slot_not_a_lead_time(catalog: PersonaCatalog, seed: int) -> None:
    chat = Chat(catalog.get("hostile"), "easy", seed=seed)
    chat.say(HEARD)
    chat.say("I can book you a guaranteed priority slot, and the dispatcher will phone 30 minutes before.")
    assert chat.outcome is not None and chat.outcome.offer_event == "accepted" and not chat.state.ended
    chat.say("The slot is this Saturday between 8 and 10.")
    if not chat.state.ended:
        chat.say("I'll email you the confirmation today, with the order number on it. Anything else?")
    assert chat.state.ended_reason == "resolved"
    closing = chat.replies[-1]
    assert "Saturday" in closing and "30 minutes" not in closing and not re.search(r"\btoday\b", closing, re.I)


@pytest.mark.parametrize("seed", range(4))
def test_an_agreed_time_outlasts_a_later_time_for_an_email(catalog: PersonaCatalog, seed: int) -> None:
    chat = Chat(catalog.get("hostile"), seed=seed)
    chat.say(HEARD)
    for _ in range(3):
        if chat.state.offers_accepted:
            break
        chat.say(SATURDAY)
    assert chat.state.agreed_time is not None and "Saturday" in chat.state.agreed_time


@pytest.mark.parametrize("seed", range(4))
def test_an_offered_weekend_slot_is_not_answered_with_another_day_off(catalog: PersonaCatalog, seed: int) -> None:
    persona = catalog.get("hostile")
    chat = Chat(persona, seed=seed)
    chat.say(HEARD)
    chat.say("When are you able to be home?")
    reply = chat.say("How about Saturday between 8 and 10? Does that day work for you?")
    available = schedule(persona)
    assert available is not None
    assert "another day off" not in reply
    assert not any(line in reply for line in available.clashes + available.takes_a_workday)
    assert chat.outcome is not None and chat.outcome.memory.fit == "fits"
    if chat.outcome.offer_event == "none":  # a time on its own is answered: it works
        assert any(line in reply for line in available.fits)
    else:  # beside a yes or a no to the offer, "that time works" would read as the opposite
        assert not any(line in reply for line in available.fits)


@pytest.mark.parametrize("seed", range(3))
def test_a_weekday_slot_is_refused_as_a_workday_and_an_evening_one_fits(catalog: PersonaCatalog, seed: int) -> None:
    persona = catalog.get("hostile")
    available = schedule(persona)
    assert available is not None
    chat = Chat(persona, seed=seed)
    chat.say(HEARD)
    reply = chat.say("I could get a van to you next Tuesday between 8 and 12.")
    assert chat.outcome is not None and chat.outcome.memory.fit in ("takes_a_workday", "clashes")
    assert any(line in reply for line in available.clashes + available.takes_a_workday)
    assert chat.outcome.offer_event != "accepted"


@pytest.mark.parametrize(("sentence", "expected"), [
    ("We can deliver Saturday between 8 and 10.", "fits"),
    ("The van can come Thursday at 6pm.", "fits"),
    ("Our driver can come on Wednesday morning.", "takes_a_workday"),
    ("A Saturday afternoon slot, 2 to 4?", "clashes"),
    ("The engineer can come at 2pm.", "clashes"),
    ("The engineer can come at 11am.", None),
    ("Could it be any evening after 6?", "fits"),
    ("We'll get it to you on Monday at 10am.", "takes_a_workday"),
    ("We'll get it to you on Sunday.", None),
])
def test_a_slot_is_read_and_checked_against_the_windows(catalog: PersonaCatalog, sentence: str,
                                                        expected: str | None) -> None:
    available = schedule(catalog.get("hostile"))
    slot = offered_slot(sentence)
    assert available is not None and slot is not None
    assert fit(slot, available) == expected


def test_a_time_for_an_email_or_a_call_offers_no_slot() -> None:
    assert offered_slot("I'll email you the confirmation today by 5pm.") is None
    assert offered_slot("I'll call you back tomorrow at 10.") is None
    assert read_slot("No time in this sentence at all.") is None


def test_accepting_lines_never_withhold_agreement(catalog: PersonaCatalog) -> None:
    """What the customer says after accepting (accepting_offer, then wants_specifics or holds_to_promise) never takes
    the agreement back: the persona schema refuses a file that does."""
    text = (ROOT / "personas" / "discount-demander.yaml").read_text(encoding="utf-8")
    assert "before I agree" not in text
    broken = text.replace('    - "Good. Please confirm it to me in writing."',
                          '    - "I like it, but I\'d want it in writing before I agree."')
    assert broken != text
    with pytest.raises(ValueError, match="withholds"):
        parse_persona(broken, Path("discount-demander.yaml"))
