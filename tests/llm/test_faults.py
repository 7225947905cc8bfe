"""Faults injected by FakeOpenAIServer (a fake OpenAI-compatible server on loopback), seen through the real SDK
and the practice service: the agent's message is kept, nothing is duplicated, a retry recovers."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from llm.client import LLMError, OpenAIChatModel
from services import PracticeService, build_practice_service
from services.auth import Actor
from settings import Settings
from tests.fakes.openai_server import Cut, FakeOpenAIServer, Fault, Hang, Reset

SYSTEM = Actor.system()

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def chat(server: FakeOpenAIServer, *, retries: int = 0, timeout: float = 5) -> OpenAIChatModel:
    return OpenAIChatModel(model="m", base_url=server.base_url, api_key="k", timeout=timeout, max_retries=retries)


def test_429_honours_retry_after(server: FakeOpenAIServer) -> None:
    server.enqueue(Fault(429, headers={"Retry-After": "1"}), "Finally.")
    start = time.monotonic()
    assert chat(server, retries=2).complete(HI, max_tokens=5, temperature=0) == "Finally."
    assert time.monotonic() - start >= 0.95
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retried_by_the_sdk_then_reported(server: FakeOpenAIServer, status: int) -> None:
    server.enqueue(Fault(status), "Recovered.")
    assert chat(server, retries=1).complete(HI, max_tokens=5, temperature=0) == "Recovered."
    server.enqueue(Fault(status), Fault(status))
    with pytest.raises(LLMError, match=f"HTTP {status}"):
        chat(server, retries=1).complete(HI, max_tokens=5, temperature=0)


def test_connection_reset(server: FakeOpenAIServer) -> None:
    server.enqueue(Reset())
    with pytest.raises(LLMError, match="could not reach the model server"):
        chat(server).complete(HI, max_tokens=5, temperature=0)


def test_hang_past_the_timeout(server: FakeOpenAIServer) -> None:
    server.enqueue(Hang(2))
    start = time.monotonic()
    with pytest.raises(LLMError, match=r"did not answer within 0.4 s"):
        list(chat(server, timeout=0.4).stream(HI, max_tokens=5, temperature=0))
    assert time.monotonic() - start < 1.9


def test_stream_cut_halfway_is_an_error_not_a_short_reply(server: FakeOpenAIServer) -> None:
    server.enqueue(Cut("one two three four five six seven eight"))
    received: list[str] = []
    with pytest.raises(LLMError, match=r"cut off|lost mid-reply"):
        for piece in chat(server).stream(HI, max_tokens=20, temperature=0):
            received.append(piece)
    assert "".join(received).startswith("one two")
    assert "eight" not in "".join(received)


@pytest.fixture
def llm_practice(settings: Settings, server: FakeOpenAIServer) -> PracticeService:
    return build_practice_service(settings.model_copy(update={
        "llm_backend": "openai", "openai_base_url": server.base_url, "max_retries": 0, "request_timeout": 2}))


@pytest.mark.parametrize("fault", [Cut("I have been waiting for two weeks and I am furious"), Reset(), Hang(3),
                                   Fault(500)])
def test_a_failed_reply_keeps_the_agent_message_and_retry_does_not_duplicate(
    llm_practice: PracticeService, server: FakeOpenAIServer, fault: object,
) -> None:
    server.enqueue("Where is my washing machine?")
    view = llm_practice.start(SYSTEM, trainee="ann", persona_slug="hostile", seed=1).finish()
    assert view is not None
    server.enqueue(fault)  # type: ignore[arg-type]
    turn = llm_practice.send(SYSTEM, view.id, "I'm sorry. What's your order number?")
    list(turn)
    assert turn.error is not None and "Your message is saved" in turn.error
    stored = llm_practice.get(SYSTEM, view.id)
    assert [m.role for m in stored.messages] == ["customer", "agent"] and stored.awaiting_reply
    server.enqueue("It's FS-88412.")
    after = llm_practice.retry(SYSTEM, view.id).finish()
    assert after is not None
    assert [(m.role, m.content) for m in after.messages][1:] == [
        ("agent", "I'm sorry. What's your order number?"), ("customer", "It's FS-88412.")]


def test_a_failed_opening_says_so_and_retry_opens(llm_practice: PracticeService, server: FakeOpenAIServer) -> None:
    server.enqueue(Fault(500))
    opening = llm_practice.start(SYSTEM, trainee="ann", persona_slug="hostile", seed=1)
    view = opening.finish()
    assert opening.error is not None and opening.error.startswith("The customer did not open the chat")
    assert "Your message" not in opening.error  # the trainee has not written anything yet
    assert view is not None and view.messages == ()
    server.enqueue("Where is my washing machine?")
    after = llm_practice.retry(SYSTEM, view.id).finish()
    assert after is not None and [(m.role, m.content) for m in after.messages] == [
        ("customer", "Where is my washing machine?")]
