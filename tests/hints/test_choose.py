"""The hint chooser: one situation per kind of hint, with its near miss (the kind must not fire), read by the real
signal detectors."""

from __future__ import annotations

import pytest

from hints import HintKind, applicable, choose, hint_book
from personas.loader import PersonaCatalog

HEARD = "That's two days off work wasted and nobody even called you. I'm really sorry, Derek."


def kinds(catalog: PersonaCatalog, slug: str, *turns: str) -> list[HintKind]:
    roles = ["customer", "agent"] * len(turns)
    return applicable(list(zip(roles, turns, strict=False)), catalog.get(slug))


def test_not_heard_until_the_trainee_says_the_problem_back(catalog: PersonaCatalog) -> None:
    opening = "Two days I stayed home for your delivery. Two! Nobody came, nobody called."
    assert kinds(catalog, "hostile", opening)[0] == HintKind.NOT_HEARD
    assert kinds(catalog, "hostile", opening, "What's the order number?", "FS-88412.")[0] == HintKind.NOT_HEARD
    assert HintKind.NOT_HEARD not in kinds(catalog, "hostile", opening, HEARD, "Yeah. So what now.")


def test_open_question_quotes_the_question_and_skips_rhetorical_ones(catalog: PersonaCatalog) -> None:
    asked = "Is the installation fee refunded too, or just the delivery part?"
    hint = choose([("customer", "Nobody came. Twice."), ("agent", HEARD), ("customer", asked)],
                  catalog.get("hostile"))
    assert hint.kind == HintKind.OPEN_QUESTION and asked in hint.text
    assert HintKind.OPEN_QUESTION not in kinds(catalog, "hostile", "Nobody came.", HEARD,
                                               "Are you kidding me? How hard can it be to ring a doorbell?")


def test_no_time_when_they_asked_when_until_a_time_is_given(catalog: PersonaCatalog) -> None:
    when = "Fine. And when is it actually going to turn up?"
    assert kinds(catalog, "hostile", "Nobody came.", HEARD, when)[0] == HintKind.NO_TIME
    answered = kinds(catalog, "hostile", "Nobody came.", HEARD, when,
                     "It's booked for Saturday between 8 and 12, and I'll call you by 5pm Friday to confirm.",
                     "Right.")
    assert HintKind.NO_TIME not in answered
    still = kinds(catalog, "hostile", "Nobody came.", HEARD, when, "Soon, don't worry.", "Soon WHEN?")
    assert HintKind.NO_TIME in still


def test_no_alternative_after_a_bare_no_but_not_after_a_no_with_an_offer(catalog: PersonaCatalog) -> None:
    ask = "I want a full refund of the 649 euros. Today."
    bare = kinds(catalog, "hostile", "Nobody came.", HEARD, ask, "No, we can't refund that.", "Excuse me?")
    assert HintKind.NO_ALTERNATIVE in bare
    offered = kinds(catalog, "hostile", "Nobody came.", HEARD, ask,
                    "I can't refund the machine, but I can refund the 49 euro delivery fee today.", "Hmph.")
    assert HintKind.NO_ALTERNATIVE not in offered


def test_threat_comes_first_and_a_complaint_is_no_threat(catalog: PersonaCatalog) -> None:
    threat = "Sort it today or I'm putting this whole chat on Twitter and leaving a one-star review."
    assert kinds(catalog, "hostile", "Nobody came.", HEARD, threat)[0] == HintKind.THREAT
    assert HintKind.THREAT not in kinds(catalog, "hostile", "Nobody came.", HEARD,
                                        "This is the worst service I have ever had.")


def test_lost_when_the_language_barrier_customer_says_so_or_gets_long_sentences(catalog: PersonaCatalog) -> None:
    opening = "Hello. I have problem with bill. Two time money taken."
    lost = kinds(catalog, "language-barrier", opening,
                 "I'm sorry about that, the duplicate authorisation should drop off.", "Sorry, I not understand.")
    assert lost[0] == HintKind.LOST
    long = ("I'm really sorry about that, what has most likely happened is that the payment processor placed a "
            "temporary pre-authorisation hold on your card which will be released automatically by your bank "
            "within three to five working days, so there is nothing you need to do on your side at this point.")
    assert HintKind.LOST in kinds(catalog, "language-barrier", opening, long, "Ok.")
    short = "I'm sorry. You paid two times. I will give back one payment. Today."
    assert HintKind.LOST not in kinds(catalog, "language-barrier", opening, short, "Ok. Thank you.")


def test_next_step_when_nothing_else_fits(catalog: PersonaCatalog) -> None:
    offered = HEARD + " I can book you the guaranteed Saturday morning slot, 8 to 10."
    on_track = kinds(catalog, "hostile", "Nobody came.", offered, "OK. Saturday morning works I suppose.")
    assert on_track == [HintKind.NEXT_STEP]
    # nothing offered yet: there is no deal to sum up, so the hint is to put one on the table
    assert kinds(catalog, "hostile", "Nobody came.", HEARD, "OK. Saturday morning works I suppose.") == [
        HintKind.PROPOSE]


@pytest.mark.parametrize("kind", list(HintKind))
def test_every_kind_has_words_and_a_workshop_passage(kind: HintKind) -> None:
    entry = hint_book().of(kind)
    assert entry.text and entry.source[:3] in {"000", "001", "002", "003", "004"}


def test_the_hint_shown_fits_most_held_out_moments() -> None:
    """The held-out moments (written without the code, never tuned on): the hint shown is one that fits in at least
    80% of them (84.4% measured when this test was written; the first version scored 63.1%)."""
    from bench.hints import DATA, evaluate

    scores = evaluate(DATA / "heldout.jsonl")
    assert scores.moments == 160 and scores.shown_fits >= 0.8


def test_the_hint_shown_fits_most_held_out_demand_moments() -> None:
    """The second held-out set (moments between an open demand, a deal to sum up and nothing on the table yet;
    written by another helper without the code, never tuned on): the hint shown fits at least 65% of them (72.0%
    measured when this test was written; 46.7% before ``open_demand`` and ``propose``)."""
    from bench.hints import DATA, evaluate

    scores = evaluate(DATA / "demand_heldout.jsonl")
    assert scores.moments == 150 and scores.shown_fits >= 0.65


def test_an_open_demand_comes_before_summing_up(catalog: PersonaCatalog) -> None:
    """Seen in a browser walk: "You are on track ... sum up what will happen" while the customer still demanded the
    new-customer price and nothing was agreed."""
    turns = [("customer", "Nine years with you and I pay double what new people pay. I want the new-customer price."),
             ("agent", "Nine years is a long time, Patricia, and I can see why that price jump stings. I'm sorry."),
             ("customer", "Thank you. So: the new-customer price, for me, from this month.")]
    hint = choose(turns, catalog.get("discount-demander"))
    assert hint.kind == HintKind.OPEN_DEMAND and "new-customer price" in hint.text
    assert "sum up" not in hint.text


def test_summing_up_only_once_something_is_agreed(catalog: PersonaCatalog) -> None:
    persona = catalog.get("discount-demander")
    opening = [("customer", "My bill went from 45 to 53 and I've been loyal for nine years."),
               ("agent", "That's a steep jump after nine years, and I'm sorry it landed on you like that.")]
    nothing = [*opening, ("customer", "Well. I'm listening.")]
    assert applicable(nothing, persona) == [HintKind.PROPOSE]
    offered = [*opening, ("customer", "Well. I'm listening."),
               ("agent", "I can move you to the 200 plan at 35 euros a month, with no fee to switch."),
               ("customer", "35. Fine, that works for me.")]
    assert applicable(offered, persona) == [HintKind.NEXT_STEP]
    more = [*offered[:-1], ("customer", "35 is fine. And what about a loyalty credit for the nine years?")]
    assert applicable(more, persona)[0] == HintKind.OPEN_DEMAND


def test_a_condition_on_accepting_is_no_new_demand(catalog: PersonaCatalog) -> None:
    turns = [("customer", "Two missed deliveries. Two days' pay gone."),
             ("agent", HEARD + " I can book the guaranteed Saturday 8 to 10 slot, with a call 30 minutes ahead."),
             ("customer", "Saturday, then, as long as the call actually comes this time.")]
    assert applicable(turns, catalog.get("hostile")) == [HintKind.NEXT_STEP]


def test_a_yes_to_a_question_is_no_deal_and_a_refused_offer_leaves_none(catalog: PersonaCatalog) -> None:
    """Seen in a fresh-machine walk: "Yes, that's the situation. ... Beat it." read as a deal, and every later hint
    said "sum up", even right after the customer turned an offer down."""
    persona = catalog.get("discount-demander")
    turns = [("customer", "My price went up again. Nine years a customer."),
             ("agent", "Nine years, and then a price rise: I'd be annoyed too, Patricia. I'm sorry. So you're on "
                       "HomeFibre 500 at 53 euros and a competitor has offered you less?"),
             ("customer", "Yes, that's the situation. The competitor says thirty a month. Beat it.")]
    assert applicable(turns, persona)[0] == HintKind.OPEN_DEMAND
    refused = [*turns, ("agent", "I can offer a 15% loyalty discount for 12 months, so 45 euros a month."),
               ("customer", "Hmm, no. That barely moves the needle.")]
    assert HintKind.NEXT_STEP not in applicable(refused, persona)
