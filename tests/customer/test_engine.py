from __future__ import annotations

import pytest

from customer.backend import ReplyContext
from customer.engine import CustomerEngine
from customer.scripted import ScriptedBackend
from customer.state import CustomerState, Stage
from personas import PersonaCatalog
from tests.conftest import agent_lines

SLUGS = ["hostile", "discount-demander", "provocateur", "language-barrier", "technical-question", "long-wait",
         "policy-restriction", "threatening", "negative-review"]


def play(catalog: PersonaCatalog, slug: str, lines: list[str], difficulty: str = "normal",
         seed: int = 1) -> tuple[list[float], CustomerState, list[str]]:
    """Run the engine and the scripted backend; frustration after each agent turn, final state, replies."""
    persona = catalog.get(slug)
    engine = CustomerEngine(persona, difficulty)  # type: ignore[arg-type]
    backend = ScriptedBackend()
    state = engine.initial_state()
    reply = backend.reply(ReplyContext(persona, state, None, (), seed))
    replies = [reply.drain()]
    state.used_lines += reply.used_lines
    curve = []
    for line in lines:
        if state.ended:
            break
        outcome = engine.react(state, line, previous_customer=replies[-1])
        state = outcome.state
        reply = backend.reply(ReplyContext(persona, state, outcome, (), seed))
        replies.append(reply.drain())
        state.used_lines += reply.used_lines
        curve.append(state.frustration)
    return curve, state, replies


@pytest.mark.parametrize("slug", SLUGS)
def test_good_agent_calms_and_resolves(catalog: PersonaCatalog, slug: str) -> None:
    start = catalog.get(slug).difficulty.normal.start_frustration
    curve, state, _ = play(catalog, slug, agent_lines(slug))
    assert curve[-1] < start - 2
    assert state.ended_reason == "resolved", curve


@pytest.mark.parametrize("slug", SLUGS)
def test_rude_agent_escalates_and_customer_walks_away(catalog: PersonaCatalog, slug: str) -> None:
    start = catalog.get(slug).difficulty.normal.start_frustration
    curve, state, replies = play(catalog, slug, agent_lines("rude"))
    assert curve[0] > start
    assert state.ended_reason == "walked_away"
    assert replies[-1] in catalog.get(slug).closing.walked_away


@pytest.mark.parametrize("slug", SLUGS)
def test_hidden_facts_only_when_asked(catalog: PersonaCatalog, slug: str) -> None:
    persona = catalog.get(slug)
    lines = [line for line in agent_lines(slug) if "?" not in line]
    _, state, replies = play(catalog, slug, lines)
    assert state.revealed_facts == []
    assert not any(f.line in r for f in persona.scenario.hidden_facts for r in replies)
    fact = persona.scenario.hidden_facts[0]
    _, asked, replies = play(catalog, slug, [f"Could you tell me the {fact.asked_by[0]}?"])
    assert fact.id in asked.revealed_facts and fact.line in replies[-1]


@pytest.mark.parametrize("slug", SLUGS)
def test_difficulty_changes_the_curve(catalog: PersonaCatalog, slug: str) -> None:
    easy, easy_state, _ = play(catalog, slug, agent_lines(slug), "easy")
    hard, hard_state, _ = play(catalog, slug, agent_lines(slug), "hard")
    assert easy[0] < hard[0]
    assert sum(easy) / len(easy) < sum(hard) / len(hard)
    assert easy_state.offers_rejected <= hard_state.offers_rejected


def test_hard_customer_rejects_more_fair_offers(catalog: PersonaCatalog) -> None:
    offer = "I'll book you a guaranteed priority slot on Saturday with the dispatcher."
    _, normal, _ = play(catalog, "hostile", [offer, offer], "normal")
    _, hard, _ = play(catalog, "hostile", [offer, offer], "hard")
    # Normal takes the second offer (and, as it comes with a day, closes the chat); hard turns down both.
    assert normal.offers_rejected == 1 and normal.offers_accepted and normal.ended_reason in (None, "resolved")
    assert hard.stage != Stage.RESOLVING and hard.offers_rejected == 2 and not hard.offers_accepted


def test_scripted_customer_never_repeats_itself(catalog: PersonaCatalog) -> None:
    lines = ["ok", "hm", "right"] + ["Could you explain a bit more?"] * 12
    _, state, replies = play(catalog, "long-wait", lines, "easy")
    assert len(replies) == 16
    assert len(state.used_lines) >= 16
    assert len(state.used_lines) == len(set(state.used_lines))
    assert len(set(replies)) == len(replies)


def test_scripted_replies_are_seeded(catalog: PersonaCatalog) -> None:
    lines = agent_lines("hostile")
    assert play(catalog, "hostile", lines, seed=5)[2] == play(catalog, "hostile", lines, seed=5)[2]
    runs = {tuple(play(catalog, "hostile", lines, seed=s)[2]) for s in range(6)}
    assert len(runs) > 1


def test_language_barrier_is_confused_by_jargon(catalog: PersonaCatalog) -> None:
    persona = catalog.get("language-barrier")
    jargon = ("Pursuant to the aforementioned SLA, your reimbursement will be provisioned via the chargeback "
              "workflow once the ticket is escalated. What is your account number?")
    plain_words = "Sorry. What is your account number?"
    confused_curve, confused, replies = play(catalog, "language-barrier", [jargon])
    clear_curve, clear, _ = play(catalog, "language-barrier", [plain_words])
    assert confused_curve[0] > clear_curve[0]
    assert confused.revealed_facts == [] and clear.revealed_facts
    assert any(line in replies[-1] for line in persona.reactions[next(iter(
        k for k in persona.reactions if k.value in ("jargon", "long_sentence")))])


def test_ended_conversation_refuses_more_messages(catalog: PersonaCatalog) -> None:
    _, state, _ = play(catalog, "hostile", agent_lines("rude"))
    with pytest.raises(ValueError, match="already ended"):
        CustomerEngine(catalog.get("hostile"), "normal").react(state, "hello?", previous_customer=None)


def test_turn_cap_ends_with_time(catalog: PersonaCatalog) -> None:
    persona = catalog.get("technical-question")
    engine = CustomerEngine(persona, "easy", max_turns=3)
    state = engine.initial_state()
    for _ in range(3):
        state = engine.react(state, "What model is it?", previous_customer=None).state
    assert state.ended_reason == "time"
