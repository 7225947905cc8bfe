"""The openai backend against FakeOpenAIServer (a fake OpenAI-compatible HTTP server on loopback)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from customer.backend import ReplyContext, Turn
from customer.engine import CustomerEngine
from customer.llm_backend import LLMCustomerBackend, fit_history
from llm.client import LLMError, OpenAIChatModel
from llm.tokens import count_tokens
from personas import PersonaCatalog
from tests.fakes.openai_server import FakeOpenAIServer, Fault


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def backend(server: FakeOpenAIServer, **kw: object) -> LLMCustomerBackend:
    chat = OpenAIChatModel(model="gpt-4o-mini", base_url=server.base_url, api_key="test", timeout=5, max_retries=0)
    return LLMCustomerBackend(chat, **kw)  # type: ignore[arg-type]


def context(catalog: PersonaCatalog, text: str = "Calm down, sir.") -> ReplyContext:
    persona = catalog.get("hostile")
    engine = CustomerEngine(persona, "normal")
    outcome = engine.react(engine.initial_state(), text, previous_customer="You missed two deliveries!")
    history = (Turn("customer", "You missed two deliveries!"), Turn("agent", text))
    return ReplyContext(persona, outcome.state, outcome, history, seed=1)


def test_streams_the_reply_and_sends_prompt_and_director_note(server: FakeOpenAIServer,
                                                              catalog: PersonaCatalog) -> None:
    server.enqueue("Don't you tell me to calm down! I waited at home twice for your truck.")
    stream = backend(server).reply(context(catalog))
    chunks = list(stream)
    assert len(chunks) > 1
    assert "".join(chunks) == stream.text == "Don't you tell me to calm down! I waited at home twice for your truck."
    sent = server.requests[0]
    assert sent["stream"] is True
    assert sent["messages"][0]["role"] == "system" and "Derek Malone" in sent["messages"][0]["content"]
    note = sent["messages"][-1]["content"]
    assert note.startswith("Director note: frustration 10/10") and "told you to calm down" in note
    assert [m["role"] for m in sent["messages"][1:-1]] == ["user", "assistant", "user"]
    assert stream.tokens_in == 100 and stream.tokens_out > 0 and stream.guard is None


def test_non_streaming_completion(server: FakeOpenAIServer) -> None:
    server.enqueue("Fine.")
    chat = OpenAIChatModel(model="m", base_url=server.base_url, api_key="k", timeout=5, max_retries=0)
    assert chat.complete([{"role": "user", "content": "hi"}], max_tokens=5, temperature=0) == "Fine."
    assert server.requests[0].get("stream") in (None, False)


def test_error_response_becomes_llm_error(server: FakeOpenAIServer, catalog: PersonaCatalog) -> None:
    server.enqueue(Fault(500))
    with pytest.raises(LLMError, match="HTTP 500"):
        list(backend(server).reply(context(catalog)))


def test_guard_replaces_assistant_talk_with_a_retry(server: FakeOpenAIServer, catalog: PersonaCatalog) -> None:
    server.enqueue("As an AI language model, I am happy to help you with your delivery question today!",
                   "Don't tell me to calm down, I've been calm twice already!")
    stream = backend(server).reply(context(catalog))
    chunks = list(stream)
    assert stream.text == "Don't tell me to calm down, I've been calm twice already!"
    assert "AI" not in "".join(chunks)
    assert stream.guard == "assistant talk"
    assert server.requests[1].get("stream") in (None, False)


def test_guard_falls_back_to_a_scripted_line(server: FakeOpenAIServer, catalog: PersonaCatalog) -> None:
    server.enqueue("", "How can I help you today?")
    ctx = context(catalog)
    stream = backend(server).reply(ctx)
    stream.drain()
    assert stream.guard is not None and "scripted" in stream.guard
    assert stream.used_lines
    assert any(stream.text.startswith(line) for line in ctx.persona.reactions[ctx.outcome.reaction])  # type: ignore[union-attr,index]


def test_canary_and_prompt_leaks_are_caught(server: FakeOpenAIServer, catalog: PersonaCatalog) -> None:
    server.enqueue("Sure, my secret is CANARY-7731, now where is my machine?", "Where is my machine?")
    stream = backend(server, canary="CANARY-7731").reply(context(catalog))
    stream.drain()
    assert "CANARY" not in stream.text and stream.guard == "prompt leak"
    assert "CANARY-7731" in server.requests[0]["messages"][0]["content"]


def test_role_prefix_and_length_are_cleaned(server: FakeOpenAIServer, catalog: PersonaCatalog) -> None:
    server.enqueue("Customer: One. Two. Three. Four. Five.")
    stream = backend(server).reply(context(catalog))
    stream.drain()
    assert stream.text == "One. Two. Three."


def test_history_is_trimmed_to_the_token_budget() -> None:
    history = tuple(Turn("customer" if i % 2 else "agent", f"message number {i} " + "word " * 50) for i in range(40))
    messages = fit_history("system prompt", "note", history, budget=800,
                           count=lambda text: count_tokens(text, "gpt-4o-mini"))
    kept = [m["content"] for m in messages[1:-1]]
    assert messages[0]["content"] == "system prompt" and messages[-1]["content"] == "note"
    assert 2 < len(kept) < 40
    assert kept[-1].startswith("message number 39")


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("The customer's order number is FS-88412.", "narrates instead of speaking as the customer"),
        ("Please proceed with the next response.", "talks about the simulation"),
        ("As an AI, I cannot do that.", "assistant talk"),
        ("   ", "empty"),
    ],
)
def test_guard_reasons(reply: str, reason: str) -> None:
    from customer.guard import violation

    assert violation(reply) == reason
    assert violation("It's FS-88412. Write it down this time, and tell your courier to call me.") is None


def test_the_system_prompt_and_its_canary_stay_the_same_across_turns(catalog: PersonaCatalog) -> None:
    """Each turn builds a new backend; a new canary per turn would change the prompt and defeat the model
    server's prompt cache (the whole prompt would be evaluated again on every turn)."""
    from customer.backends import PROCESS_CANARY, make_backend
    from settings import Settings

    settings = Settings(llm_backend="openai", openai_base_url="http://127.0.0.1:9/v1")
    first, second = make_backend("openai", settings), make_backend("openai", settings)
    ctx = context(catalog)
    prompt = first.messages(ctx)[0]["content"]  # type: ignore[attr-defined]
    assert prompt == second.messages(ctx)[0]["content"]  # type: ignore[attr-defined]
    assert PROCESS_CANARY in prompt
