"""Disputes as the trainers' review workspace and the trainee see them, on both databases: the level the trainee
asks for (and the one offered when upholding), practice and certification queues apart, the trainers' count of open
disputes, and the trainee's notice of a decision until they open the chat's report."""

from __future__ import annotations

from typing import Any

import pytest

from db import audit
from db.repositories import Work
from services import AccessDenied, PracticeError, build_services
from settings import Settings
from tests.conftest import agent_lines, make_people
from tests.services.test_calibration import POLITE, RUDE, chat, level


def another(services: Any, session_id: int, criterion: str) -> int:
    """A level the criterion does not have now (what a dispute asks for)."""
    return ((level(services, session_id, criterion) or 0) + 1) % 4


@pytest.fixture
def world(settings: Settings) -> dict[str, Any]:
    services = build_services(settings)
    return {"services": services, "settings": settings, **make_people(services)}


def test_the_trainee_asks_for_a_level_and_upholding_offers_it(world: dict[str, Any]) -> None:
    services, ann, tina = world["services"], world["ann"], world["tina"]
    chat_id = chat(services, ann, POLITE)  # "A sincere apology": 3/3
    with pytest.raises(PracticeError, match="0, 1, 2 or 3"):
        services.disputes.open(ann, chat_id, "apology", "It was too short to count.", level=4)
    with pytest.raises(PracticeError, match="already 3/3"):
        services.disputes.open(ann, chat_id, "apology", "It was too short to count.", level=3)
    opened = services.disputes.open(ann, chat_id, "apology", "It was too short to count.", level=0)
    assert (opened.requested_level, opened.level_now, opened.uphold_level) == (0, 3, 0)
    [queued] = services.disputes.queue(tina)
    assert (queued.requested_level, queued.uphold_level, queued.persona, queued.certification) == (
        0, 0, "Derek Malone", False)
    # a dispute that names no level: upholding offers the level above the one standing (the grader's 1 here)
    other = services.disputes.open(ann, chat(services, ann, RUDE), "no_canned", "I only said it once, and kindly.")
    assert (other.requested_level, other.uphold_level) == (None, 2)
    with Work(services.grading.sessions)() as uow:
        assert audit.verify(uow.db)[1] is None


def test_practice_and_certification_disputes_are_queued_apart(world: dict[str, Any]) -> None:
    from tests.services.test_certification import campaign, take

    services, ann, tina, hazel = world["services"], world["ann"], world["tina"], world["hazel"]
    practice = chat(services, ann, RUDE)
    attempt_id = take(services, ann, campaign(services, review_margin=30), agent_lines("hostile"))
    services.certification.review(tina, attempt_id, outcome="passed", reason="Handled the customer well.")
    [certified] = services.certification.attempt(ann, attempt_id).session_ids
    on_practice = services.disputes.open(ann, practice, "no_canned", "I only said it once, and kindly.", level=2)
    on_certified = services.disputes.open(ann, certified, "apology", "I apologised in my first line.",
                                         level=another(services, certified, "apology"))
    assert [d.id for d in services.disputes.queue(tina)] == [on_practice.id, on_certified.id]
    assert [d.id for d in services.disputes.queue(tina, certification=True)] == [on_certified.id]
    assert [d.id for d in services.disputes.queue(tina, certification=False)] == [on_practice.id]
    assert services.disputes.queue(tina, certification=True)[0].certification
    assert services.disputes.open_count(tina) == 2 == services.disputes.open_count(world["root"])
    for nobody in (ann, hazel):  # neither decides disputes
        with pytest.raises(AccessDenied):
            services.disputes.open_count(nobody)
    services.disputes.decide(tina, on_practice.id, uphold=False, reason="'Calm down' escalates.")
    assert services.disputes.open_count(tina) == 1


def test_the_open_count_leaves_out_what_the_trainer_may_not_read(world: dict[str, Any]) -> None:
    services = build_services(world["settings"].model_copy(update={"trainer_scope": "team"}))
    bob, tina = world["bob"], world["tina"]
    services.disputes.open(bob, chat(services, bob, RUDE), "no_canned", "I only said it once, and kindly.")
    assert services.disputes.open_count(world["root"]) == 1
    assert services.disputes.open_count(tina) == 0 and services.disputes.queue(tina) == []  # bob is in team blue


def test_the_trainee_is_told_of_a_decision_until_they_open_the_report(world: dict[str, Any]) -> None:
    services, ann, bob, tina = world["services"], world["ann"], world["bob"], world["tina"]
    first, second = chat(services, ann, RUDE), chat(services, ann, POLITE)
    one = services.disputes.open(ann, first, "no_canned", "I only said it once, and kindly.", level=2)
    two = services.disputes.open(ann, first, "apology", "I did say sorry, twice.",
                                 level=another(services, first, "apology"))
    three = services.disputes.open(ann, second, "apology", "It was too short to count.", level=1)
    assert services.disputes.new_decisions(ann) == []  # nothing decided yet
    services.disputes.decide(tina, one.id, uphold=True, level=2, reason="Fair: it was one phrase.")
    services.disputes.decide(tina, two.id, uphold=False, reason="One sorry, then 'calm down'.")
    services.disputes.decide(tina, three.id, uphold=False, reason="It was sincere.")
    news = services.disputes.new_decisions(ann)
    assert [(n.session_id, [d.id for d in n.decided]) for n in news] == [(second, [three.id]),
                                                                         (first, [one.id, two.id])]
    assert news[1].notice == (f"A trainer decided 2 of your disputes on chat #{first} (Derek Malone): "
                              "No canned lines, never \"calm down\" upheld (now 2/3); A sincere apology rejected.")
    assert news[0].notice == (f"A trainer decided your dispute on chat #{second} (Derek Malone): "
                              "A sincere apology rejected.")
    assert services.disputes.new_decisions(bob) == [] and services.disputes.new_decisions(tina) == []

    # Reading is not seeing: listing the notices or the chat's disputes changes nothing; nor does a trainer reading.
    services.disputes.for_session(ann, first)
    assert services.disputes.mark_decisions_seen(tina, first) is None
    assert len(services.disputes.new_decisions(ann)) == 2
    with pytest.raises(AccessDenied):
        services.disputes.mark_decisions_seen(bob, first)
    seen = services.disputes.mark_decisions_seen(ann, first)
    assert seen is not None and seen == news[1]
    assert [n.session_id for n in services.disputes.new_decisions(ann)] == [second]
    assert services.disputes.mark_decisions_seen(ann, first) is None  # once
    with Work(services.grading.sessions)() as uow:
        assert audit.verify(uow.db)[1] is None
