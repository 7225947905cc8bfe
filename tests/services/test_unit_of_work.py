"""One transaction per use case: ending a certification attempt (its running chat ended, every chat graded, the
outcome decided and recorded) is all or nothing, on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from db import audit
from db.repositories import Work
from services import build_services
from settings import Settings
from tests.conftest import agent_lines, make_people
from tests.services.test_certification import SYSTEM, campaign


def _answer(services: Any, ann: Any, attempt_id: int, lines: list[str]) -> None:
    for line in lines:
        view = services.certification.attempt(ann, attempt_id, holder="tab-1")
        if not services.practice.get(ann, view.session_id or 0).active:
            return
        services.certification.send(ann, attempt_id, line, holder="tab-1").finish()


def test_a_failure_while_ending_an_attempt_keeps_nothing_of_it(settings: Settings,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    services = build_services(settings)
    ann = make_people(services)["ann"]
    campaign_id = campaign(services, scenarios=[("hostile", "normal"), ("provocateur", "normal")])
    attempt_id = services.certification.start_attempt(ann, campaign_id, holder="tab-1").id
    _answer(services, ann, attempt_id, agent_lines("hostile")[:2])
    services.certification.next_scenario(ann, attempt_id, holder="tab-1")
    _answer(services, ann, attempt_id, agent_lines("provocateur")[:2])
    chats = services.certification.attempt(ann, attempt_id, holder="tab-1").session_ids
    assert len(chats) == 2 and services.practice.get(ann, chats[1]).active

    real_append = audit.append

    def failing_append(*args: Any, **kwargs: Any) -> Any:
        if str(kwargs.get("action", "")).startswith("attempt.completed"):
            raise RuntimeError("the disk filled up while recording the outcome")
        return real_append(*args, **kwargs)

    monkeypatch.setattr(audit, "append", failing_append)
    with pytest.raises(RuntimeError, match="disk filled up"):
        services.certification.next_scenario(ann, attempt_id, holder="tab-1")
    monkeypatch.undo()

    def grades(session_id: int) -> int:
        with Work(services.grading.sessions)() as uow:
            return len(uow.grades.for_session(session_id))

    after_failure = services.certification.attempt(SYSTEM, attempt_id)
    assert after_failure.active and after_failure.outcome == "pending"
    assert services.practice.get(SYSTEM, chats[1]).active  # the running chat was not ended either ...
    assert [grades(c) for c in chats] == [0, 0]  # ... and no chat kept a grade of the failed ending

    ended = services.certification.next_scenario(ann, attempt_id, holder="tab-1")  # trying again completes it
    assert not ended.active and ended.status == "completed" and ended.outcome != "pending"
    assert not services.practice.get(SYSTEM, chats[1]).active
    assert [grades(c) for c in chats] == [1, 1]  # graded once each: the failed try left no extra grade


def test_an_attempt_whose_first_chat_cannot_be_created_is_not_started(settings: Settings,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The attempt and its first chat are stored together: a failure in between does not use up the trainee's only
    attempt, nor leave an attempt without a chat to answer in."""
    from customer.engine import CustomerEngine

    services = build_services(settings)
    ann = make_people(services)["ann"]
    campaign_id = campaign(services, attempts_allowed=1)

    def broken(self: Any) -> Any:
        raise RuntimeError("the customer could not be set up")

    monkeypatch.setattr(CustomerEngine, "initial_state", broken)
    with pytest.raises(RuntimeError, match="could not be set up"):
        services.certification.start_attempt(ann, campaign_id, holder="tab-1")
    monkeypatch.undo()
    assert services.certification.my_attempts(ann, campaign_id) == []
    started = services.certification.start_attempt(ann, campaign_id, holder="tab-1")  # the only attempt is still there
    assert started.active and started.number == 1 and started.session_id is not None
