from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from db.models import Message
from services import PracticeError, PracticeService, build_practice_service
from services.auth import Actor, AuthService
from settings import Settings
from tests.conftest import agent_lines
from tests.fakes.openai_server import FakeOpenAIServer, Fault

SYSTEM = Actor.system()


def count_messages(service: PracticeService, session_id: int) -> int:
    with service.sessions() as db:
        return db.scalar(select(func.count()).select_from(Message).where(Message.session_id == session_id)) or 0


def test_a_whole_chat_is_stored_turn_by_turn(service: PracticeService) -> None:
    turn = service.start(SYSTEM, trainee="ann", persona_slug="hostile", difficulty="normal", seed=3)
    opening = "".join(turn)
    view = turn.session
    assert view is not None and view.messages[0].content == opening and view.messages[0].role == "customer"
    for n, line in enumerate(agent_lines("hostile"), start=1):
        turn = service.send(SYSTEM, view.id, line)
        chunks = list(turn)
        view = turn.session
        assert view is not None
        assert view.messages[-2].content == line and view.messages[-1].content == "".join(chunks)
        assert count_messages(service, view.id) == 1 + 2 * n
        if not view.active:
            break
    assert view.ended_reason == "resolved"
    assert [m.seq for m in view.messages] == list(range(1, len(view.messages) + 1))


def test_agent_message_is_committed_before_the_customer_answers(service: PracticeService) -> None:
    view = service.start(SYSTEM, trainee="ann", persona_slug="hostile", seed=1).finish()
    assert view is not None
    turn = service.send(SYSTEM, view.id, "I'm sorry. What's your order number?")
    assert count_messages(service, view.id) == 2  # stored before the reply is even requested
    turn.finish()
    assert count_messages(service, view.id) == 3


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_messages_are_refused_and_nothing_is_stored(service: PracticeService, text: str) -> None:
    view = service.start(SYSTEM, trainee="ann", persona_slug="provocateur", seed=1).finish()
    assert view is not None
    with pytest.raises(PracticeError, match="Type a message"):
        service.send(SYSTEM, view.id, text)
    assert count_messages(service, view.id) == 1


def test_too_long_message_is_refused_with_the_limit(service: PracticeService) -> None:
    view = service.start(SYSTEM, trainee="ann", persona_slug="provocateur", seed=1).finish()
    assert view is not None
    with pytest.raises(PracticeError, match=r"4,001 characters; the limit is 4,000\. Nothing was sent"):
        service.send(SYSTEM, view.id, "x" * 4001)
    assert count_messages(service, view.id) == 1
    service.send(SYSTEM, view.id, "y" * 4000).finish()
    assert count_messages(service, view.id) == 3


def test_unknown_persona_difficulty_and_session(service: PracticeService) -> None:
    with pytest.raises(PracticeError, match="unknown persona 'nobody'"):
        service.start(SYSTEM, trainee="ann", persona_slug="nobody")
    with pytest.raises(PracticeError, match="Unknown difficulty"):
        service.start(SYSTEM, trainee="ann", persona_slug="hostile", difficulty="brutal")
    with pytest.raises(PracticeError, match="Enter your name"):
        service.start(SYSTEM, trainee="  ", persona_slug="hostile")
    with pytest.raises(PracticeError, match="No chat with id 404"):
        service.send(SYSTEM, 404, "hello")


def test_ended_chat_refuses_messages(service: PracticeService) -> None:
    view = service.start(SYSTEM, trainee="ann", persona_slug="hostile", seed=1).finish()
    assert view is not None
    ended = service.end(SYSTEM, view.id)
    assert not ended.active and ended.ended_reason == "agent_ended"
    with pytest.raises(PracticeError, match="has ended"):
        service.send(SYSTEM, view.id, "one more thing")


def test_unfinished_chats_resume(service: PracticeService, settings: Settings) -> None:
    bea = AuthService(service.sessions).create_user(SYSTEM, username="bea", role="trainee", password="longenough")
    view = service.start(bea, persona_slug="long-wait", seed=2).finish()
    assert view is not None and view.trainee == "bea"
    service.send(bea, view.id, "I'm sorry. Could you give me your repair number?").finish()
    restarted = build_practice_service(settings)  # a new process, same database
    assert [s.id for s in restarted.unfinished(bea)] == [view.id]
    resumed = restarted.get(bea, view.id)
    before = service.get(bea, view.id)
    assert resumed.messages == before.messages and resumed.frustration == before.frustration
    assert "R-55102" in resumed.messages[-1].content
    restarted.send(bea, view.id, "Thank you. How is this affecting your work?").finish()
    assert count_messages(restarted, view.id) == 5


@pytest.fixture
def llm_service(settings: Settings) -> Iterator[tuple[PracticeService, FakeOpenAIServer]]:
    with FakeOpenAIServer() as server:
        llm_settings = settings.model_copy(update={"llm_backend": "openai", "openai_base_url": server.base_url,
                                                   "max_retries": 0, "request_timeout": 5})
        yield build_practice_service(llm_settings), server


def test_model_failure_keeps_the_agent_message_and_retry_answers_once(
    llm_service: tuple[PracticeService, FakeOpenAIServer],
) -> None:
    service, server = llm_service
    server.enqueue("You people missed my delivery twice!")
    view = service.start(SYSTEM, trainee="ann", persona_slug="hostile", seed=1).finish()
    assert view is not None and view.backend == "openai" and view.model == "gpt-4o-mini"
    server.enqueue(Fault(503))
    turn = service.send(SYSTEM, view.id, "I'm so sorry. What's your order number?")
    assert list(turn) == []
    assert turn.error is not None and "HTTP 503" in turn.error and "Retry" in turn.error
    assert turn.session is not None and turn.session.awaiting_reply
    with pytest.raises(PracticeError, match="has not answered"):
        service.send(SYSTEM, view.id, "Hello?")
    server.enqueue("It's FS-88412. Write it down this time.")
    after = service.retry(SYSTEM, view.id).finish()
    assert after is not None
    assert [m.role for m in after.messages] == ["customer", "agent", "customer"]
    assert after.messages[-1].content == "It's FS-88412. Write it down this time."
    with pytest.raises(PracticeError, match="Nothing to retry"):
        service.retry(SYSTEM, view.id)


def test_tokens_are_counted_per_session_and_the_budget_ends_the_chat(settings: Settings) -> None:
    with FakeOpenAIServer() as server:
        service = build_practice_service(settings.model_copy(update={
            "llm_backend": "openai", "openai_base_url": server.base_url, "max_retries": 0,
            "max_session_tokens": 1000}))
        server.enqueue("You missed my delivery twice!")  # the fake reports 100 prompt tokens per call
        view = service.start(SYSTEM, trainee="ann", persona_slug="hostile", seed=1).finish()
        assert view is not None and (view.tokens_in, view.tokens_out) == (100, 5)
        sent = 0
        while view.active and sent < 12:
            turn = service.send(SYSTEM, view.id, "I'm sorry. What's your order number?")
            sent += 1
            view = turn.finish()
            assert view is not None
        assert sent == 9  # the opening + 9 replies = 10 x 100 prompt tokens reaches 1,000
        assert view.ended_reason == "time" and view.tokens_in == 1000
        assert turn.error is not None and "budget of 1,000 model tokens" in turn.error
        assert view.messages[-1].role == "customer"  # the last reply was kept, nothing cut
