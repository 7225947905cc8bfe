"""Two customers who argue with each other (the `dispute` persona): who hears what, who answers, how taking sides
lands, when the chat ends, and the LLM backend's view of the other customer (real engine, scripted customer, and
FakeOpenAIServer, a fake OpenAI-compatible HTTP server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from customer.backend import Turn
from customer.dispute import DisputeEngine, addressed, split
from customer.llm_backend import LLMCustomerBackend
from customer.scripted import ScriptedBackend
from customer.state import CustomerState
from customer.turn import DisputeTurn, make_engine, opening, step
from llm.client import OpenAIChatModel
from personas import PersonaCatalog
from tests.fakes.openai_server import FakeOpenAIServer

NAMES = ("Elena Vasquez", "Marcus Webb")
APOLOGY = "Elena, Marcus, I'm so sorry: we booked the same suite twice and that is our mistake, not yours."
FAIR = ("Here is what I can do: Marcus stays in 412, and Elena, suite 508 one floor up has the same sea view and "
        "balcony at no extra cost, ready by 6pm today, with a complimentary anniversary dinner.")


class Chat:
    """A dispute played with the scripted customer, keeping the history as the service stores it."""

    def __init__(self, catalog: PersonaCatalog, difficulty: str = "normal", seed: int = 3) -> None:
        engine = make_engine(catalog.get("dispute"), difficulty)  # type: ignore[arg-type]
        assert isinstance(engine, DisputeEngine)
        self.engine, self.seed, self.backend = engine, seed, ScriptedBackend()
        self.history: tuple[Turn, ...] = ()
        self.spoken: list[tuple[str, str]] = []
        self.state = self._play(opening(engine, self.backend, engine.initial_state(), seed))  # type: ignore[arg-type]

    def _play(self, turn: DisputeTurn) -> CustomerState:
        self.spoken = []
        for speech in turn.speeches():
            text = speech.stream.drain()
            assert speech.speaker is not None
            self.spoken.append((speech.speaker, text))
            self.history = (*self.history, Turn("customer", text, speech.speaker))
        return turn.state_after()

    def say(self, text: str) -> DisputeTurn:
        turn = step(self.engine, self.backend, self.state, text, history=self.history, seed=self.seed)
        assert isinstance(turn, DisputeTurn)
        self.history = (*self.history, Turn("agent", text))
        self.state = self._play(turn)
        return turn


def test_both_customers_open_and_each_has_a_state(catalog: PersonaCatalog) -> None:
    chat = Chat(catalog)
    assert [who for who, _ in chat.spoken] == list(NAMES)
    first, second = split(chat.state)
    assert (first.frustration, second.frustration) == (6.0, 5.0)  # each from their own difficulty block
    assert chat.state.frustration == 6.0  # the chat's meter shows the hotter one
    assert first.outstanding_demands == ["elena_suite", "elena_admission"]
    assert second.outstanding_demands == ["marcus_stay", "marcus_rest"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Marcus, what do you need for tonight?", {1}),
    ("What do you need for tonight, Elena?", {0}),
    ("Okay, Marcus, one moment.", {1}),
    ("Elena, Marcus, I'm sorry.", {0, 1}),
    ("I'm sorry to you both.", {0, 1}),
    ("Elena booked in June and Marcus checked in today.", {0, 1}),  # about them, to both
    ("Mrs Vasquez, thank you for waiting.", {0}),
])
def test_whom_a_message_speaks_to(text: str, expected: set[int]) -> None:
    assert addressed(text, NAMES) == frozenset(expected)


def test_only_the_customer_spoken_to_answers_and_calms(catalog: PersonaCatalog) -> None:
    chat = Chat(catalog)
    before = split(chat.state)
    chat.say("Marcus, I'm so sorry you've been dragged into this after a long day. What do you need for tonight?")
    assert [who for who, _ in chat.spoken] == ["Marcus Webb"]
    after = split(chat.state)
    assert after[1].frustration < before[1].frustration
    assert after[0].frustration == before[0].frustration  # Elena was not spoken to: neither calmed nor angered
    assert "interview" in chat.spoken[0][1] or "asleep" in chat.spoken[0][1]  # he answers with his hidden fact


def test_taking_a_side_angers_the_other_who_says_so(catalog: PersonaCatalog) -> None:
    chat = Chat(catalog)
    before = split(chat.state)
    turn = chat.say("Marcus, you're right, you were here first.")
    assert turn.dispute is not None and turn.dispute.sided_with == 1
    after = split(chat.state)
    assert after[0].frustration >= before[0].frustration + 2  # Elena, sided against
    sided = dict(chat.spoken)
    assert sided["Elena Vasquez"] in catalog.get("dispute").dispute.sided_against.first  # type: ignore[union-attr]


def test_neutral_warmth_for_one_is_not_taking_sides(catalog: PersonaCatalog) -> None:
    chat = Chat(catalog)
    turn = chat.say("Elena, I can hear how much this anniversary means to you, and I'm sorry it started like this.")
    assert turn.dispute is not None and turn.dispute.sided_with is None


def test_a_fair_resolution_needs_both_to_accept(catalog: PersonaCatalog) -> None:
    chat = Chat(catalog, difficulty="easy")
    chat.say(APOLOGY)
    chat.say(FAIR)
    first, second = split(chat.state)
    assert "suite_508" in first.offers_accepted and "suite_508" in second.offers_accepted
    if not chat.state.ended:
        chat.say("Marcus, you'll also have our quiet-floor guarantee and a late checkout, confirmed now. "
                 "I'll walk you both up at 6pm today.")
    assert chat.state.ended_reason == "resolved"
    assert all(s.ended_reason == "resolved" for s in split(chat.state))


def test_one_accepting_does_not_end_the_chat(catalog: PersonaCatalog) -> None:
    chat = Chat(catalog, difficulty="easy")
    chat.say("Marcus, I'm sorry. You'll have our quiet-floor guarantee and a late checkout, confirmed by 6pm today.")
    first, second = split(chat.state)
    assert second.offers_accepted and not first.offers_accepted
    assert not chat.state.ended


def test_walking_away_ends_the_whole_chat(catalog: PersonaCatalog) -> None:
    chat = Chat(catalog, difficulty="hard")
    for _ in range(6):
        if chat.state.ended:
            break
        chat.say("Elena, calm down, you're being ridiculous. Marcus is right.")
    assert chat.state.ended_reason == "walked_away"


def test_the_second_speaker_turns_on_the_first_when_upset_and_unanswered(catalog: PersonaCatalog) -> None:
    chat = Chat(catalog, difficulty="hard")
    chat.say("Okay. Let me look into this.")
    lines = catalog.get("dispute").dispute.to_other  # type: ignore[union-attr]
    argued = {line for band in lines.values() for line in (*band.first, *band.second)}
    assert len(chat.spoken) == 2 and chat.spoken[1][1] in argued


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def test_llm_customers_see_each_other_by_name(server: FakeOpenAIServer, catalog: PersonaCatalog) -> None:
    """Each customer is prompted as themselves; the other's lines reach it as the other customer's, by name."""
    chat = Chat(catalog)
    chat.say(APOLOGY)
    llm = LLMCustomerBackend(OpenAIChatModel(model="gpt-4o-mini", base_url=server.base_url, api_key="test",
                                             timeout=5, max_retries=0))
    server.enqueue("Finally someone admits it. I booked that suite in June.", "I'm not moving, Elena. I unpacked.")
    turn = step(chat.engine, llm, chat.state, "Elena, Marcus: tell me what tonight needs to look like for you.",
                history=chat.history, seed=3)
    spoken = [(s.speaker, s.stream.drain()) for s in turn.speeches()]
    assert [who for who, _ in spoken] == list(sorted(NAMES, key=lambda n: -split(turn.state)[NAMES.index(n)]
                                                     .frustration))
    first, second = server.requests
    system = second["messages"][0]["content"]
    assert spoken[1][0] in system and spoken[0][0] not in system.split("WHO YOU ARE:")[1].split(".")[0]
    other_lines = [m["content"] for m in second["messages"] if m["content"].startswith(f"{spoken[0][0]} (the other")]
    assert other_lines and other_lines[-1].endswith(spoken[0][1])  # what the first just said, heard by the second
    assert f"{spoken[0][0]} is in this chat too" in second["messages"][-1]["content"]
    assert first["messages"][-1]["content"].count("Director note") == 1
