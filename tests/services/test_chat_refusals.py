"""Messages the practice service refuses, on SQLite and PostgreSQL: a stale tab writing into a chat that has ended
(in another tab, or by the customer) is told so plainly, and nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import Message
from services import PracticeError, PracticeService, build_practice_service
from services.auth import Actor, AuthService
from settings import Settings


def count_messages(service: PracticeService, session_id: int) -> int:
    with service.sessions() as db:
        return db.scalar(select(func.count()).select_from(Message).where(Message.session_id == session_id)) or 0


def trainee(service: PracticeService, name: str = "ann") -> Actor:
    return AuthService(service.sessions).create_user(Actor.system(), username=name, role="trainee",
                                                     password="long-enough-password")


def test_a_stale_tab_sending_into_a_chat_ended_in_another_tab_is_told_and_nothing_is_stored(
        service: PracticeService) -> None:
    ann = trainee(service)
    view = service.start(ann, persona_slug="hostile", seed=1).finish()
    assert view is not None
    service.send(ann, view.id, "I'm sorry. What's your order number?").finish()
    stale = service.get(ann, view.id)  # what the old tab still shows
    assert stale.active
    service.end(ann, view.id)  # the other tab ends it
    with pytest.raises(PracticeError) as refused:
        service.send(ann, view.id, "Let me check that for you.")
    message = str(refused.value)
    assert "has ended" in message and "your message was not sent" in message
    assert count_messages(service, view.id) == 3
    with pytest.raises(PracticeError, match=r"has ended .*so nothing was changed"):
        service.retry(ann, view.id)
    with pytest.raises(PracticeError, match=r"has ended .*so nothing was changed"):
        service.end(ann, view.id)
    assert count_messages(service, view.id) == 3


def test_a_chat_the_customer_ended_refuses_the_next_message_plainly(settings: Settings) -> None:
    service = build_practice_service(settings.model_copy(update={"max_turns": 1}))
    ann = trainee(service)
    view = service.start(ann, persona_slug="long-wait", seed=2).finish()
    assert view is not None
    after = service.send(ann, view.id, "I'm sorry. Could you give me your repair number?").finish()
    assert after is not None and not after.active and after.ended_reason == "time"
    with pytest.raises(PracticeError) as refused:
        service.send(ann, view.id, "Are you still there?")
    assert "has ended" in str(refused.value) and "your message was not sent" in str(refused.value)
    assert count_messages(service, view.id) == 3


def test_blank_and_too_long_messages_are_refused_before_anything_is_stored(service: PracticeService) -> None:
    ann = trainee(service)
    view = service.start(ann, persona_slug="provocateur", seed=1).finish()
    assert view is not None
    with pytest.raises(PracticeError, match="Type a message"):
        service.send(ann, view.id, " \n\t ")
    with pytest.raises(PracticeError, match=r"5,000 characters; the limit is 4,000\. Nothing was sent"):
        service.send(ann, view.id, "x" * 5000)
    assert count_messages(service, view.id) == 1
