"""Rush hour through the real services on both databases: three chats at once, a customer left unanswered writes
again and more frustrated (the clock injected), a customer kept posted waits longer, the third nudge is the customer
leaving, two tabs ticking at once write a nudge once, and the report grades each conversation with its waits and
whether its customer was kept posted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from customer import waiting
from db.models import utcnow
from services import PracticeError, build_services
from settings import Settings
from tests.conftest import make_people

PATIENCE = 45.0  # the default setting
SLUGS = ("hostile", "discount-demander", "language-barrier")
HOLD = "I'm so sorry for the wait, I'm helping another customer and I'll be back with you in two minutes."


@pytest.fixture
def world(settings: Settings) -> dict[str, Any]:
    services = build_services(settings)
    return {"services": services, **make_people(services)}


def later(seconds: float) -> Any:
    return utcnow() + timedelta(seconds=seconds)


def test_three_customers_open_and_the_one_left_waiting_writes_again_more_frustrated(world: dict[str, Any]) -> None:
    rush, ann = world["services"].rush, world["ann"]
    rush_id = rush.start(ann, SLUGS, seed=3)
    view = rush.get(ann, rush_id)
    assert [c.chat.persona_slug for c in view.customers] == list(SLUGS)
    assert all(len(c.chat.messages) == 1 and c.waiting_seconds is not None for c in view.customers)
    assert all(c.chat.rush_id == rush_id for c in view.customers)
    first = view.customers[0].chat
    rush.send(ann, rush_id, first.id, "I'm sorry, that sounds really frustrating. Let me look into it.").finish()
    assert rush.tick(ann, rush_id) == 0  # nobody has waited out their patience yet
    before = {c.chat.id: c.chat.frustration for c in rush.get(ann, rush_id).customers}
    # Long enough for every customer, whatever their sensitivity, and for none twice.
    assert rush.tick(ann, rush_id, now=later(PATIENCE * 1.6)) == 3
    after = rush.get(ann, rush_id, now=later(PATIENCE * 1.6))
    for c in after.customers:
        assert c.nudges == 1
        assert c.chat.messages[-1].role == "customer" and c.chat.messages[-1].content in waiting._lines()["first"]
        assert c.chat.frustration > before[c.chat.id]
    # The one answered a moment ago waits from their own reply; the others since they opened.
    waits = [c.waiting_seconds for c in after.customers]
    assert all(w is not None and w > 0 for w in waits)


def test_a_customer_kept_posted_waits_longer_and_the_report_says_so(world: dict[str, Any]) -> None:
    rush, ann = world["services"].rush, world["ann"]
    rush_id = rush.start(ann, SLUGS[:2], seed=4)
    held, ignored = (c.chat for c in rush.get(ann, rush_id).customers)
    rush.send(ann, rush_id, held.id, HOLD).finish()
    rush.send(ann, rush_id, ignored.id, "Our returns address is Unit 4, Riverside Park.").finish()
    view = rush.get(ann, rush_id)
    assert view.customers[0].kept_posted and not view.customers[1].kept_posted
    # Every customer's sensitivity at normal is 1.0: patience is the setting, doubled once kept posted.
    assert [c.patience for c in view.customers] == [PATIENCE * 2, PATIENCE]
    # Past the ignored customer's patience but within the posted one's: only the ignored one writes again.
    assert rush.tick(ann, rush_id, now=later(PATIENCE * 1.5)) == 1
    assert {c.chat.id: c.nudges for c in rush.get(ann, rush_id).customers} == {held.id: 0, ignored.id: 1}
    report = rush.end(ann, rush_id)
    assert not report.rush.active
    by_id = {c.session_id: c for c in report.conversations}
    assert by_id[held.id].overall is not None and by_id[ignored.id].overall is not None
    assert by_id[held.id].posted and by_id[held.id].posted[0].turn == 1
    assert "sorry for the wait" in by_id[held.id].posted[0].quote.lower()
    assert not by_id[ignored.id].posted and by_id[ignored.id].kept_posted is False
    assert by_id[held.id].kept_posted is None  # never waited past their patience: nothing to keep them posted about
    assert all(c.waits >= 1 and c.longest_wait >= 0 for c in report.conversations)


def test_the_third_nudge_is_the_customer_leaving_and_the_chat_is_graded(world: dict[str, Any]) -> None:
    rush, ann = world["services"].rush, world["ann"]
    rush_id = rush.start(ann, SLUGS[:2], seed=5)
    left = rush.get(ann, rush_id).customers[0].chat
    rush.send(ann, rush_id, left.id, "Hello, thanks for getting in touch. What happened?").finish()
    step = PATIENCE * 3  # past any customer's patience, each time from their own last message
    for n in range(1, 4):  # both write again at each step: the one answered once, and the one never answered
        assert rush.tick(ann, rush_id, now=later(step * n)) == 2
    for c in rush.get(ann, rush_id, now=later(step * 4)).customers:
        assert not c.chat.active and c.chat.ended_reason == "walked_away"
        assert c.chat.messages[-1].content in waiting._lines()["leaving"]
        assert c.waiting_seconds is None
    assert rush.tick(ann, rush_id, now=later(step * 5)) == 0  # gone: nobody writes again
    report = rush.report(ann, rush_id)
    mine = next(c for c in report.conversations if c.session_id == left.id)
    assert mine.overall is not None and mine.nudges == 3 and mine.kept_posted is False
    with pytest.raises(PracticeError, match="has ended"):
        rush.send(ann, rush_id, left.id, "Sorry!")


def test_kept_posted_means_told_before_having_to_chase(world: dict[str, Any]) -> None:
    rush, ann = world["services"].rush, world["ann"]
    rush_id = rush.start(ann, SLUGS[:2], seed=8)
    early, late = (c.chat for c in rush.get(ann, rush_id).customers)
    rush.send(ann, rush_id, early.id, HOLD).finish()  # told at once
    assert rush.tick(ann, rush_id, now=later(PATIENCE * 1.5)) == 1  # the other one chases first
    rush.send(ann, rush_id, late.id, HOLD).finish()  # told only after chasing
    # Past both doubled patiences: the early one writes again too, but was told first.
    assert rush.tick(ann, rush_id, now=later(PATIENCE * 2.5)) == 2
    by_id = {c.session_id: c for c in rush.end(ann, rush_id).conversations}
    assert by_id[early.id].kept_posted is True and by_id[early.id].nudges == 1
    assert by_id[late.id].kept_posted is False and by_id[late.id].posted  # spoke of the wait, too late


def test_a_nudge_is_written_once_when_two_tabs_tick_together(world: dict[str, Any]) -> None:
    rush, ann = world["services"].rush, world["ann"]
    rush_id = rush.start(ann, SLUGS[:2], seed=6)
    moment = later(PATIENCE * 1.6)
    assert rush.tick(ann, rush_id, now=moment) == 2
    assert rush.tick(ann, rush_id, now=moment) == 0  # the same moment again: already written
    assert all(c.nudges == 1 for c in rush.get(ann, rush_id).customers)


def test_rush_hour_refuses_bad_choices_and_other_people(world: dict[str, Any]) -> None:
    rush, ann, bob, tina = world["services"].rush, world["ann"], world["bob"], world["tina"]
    with pytest.raises(PracticeError, match="2 or 3 different customers"):
        rush.start(ann, ["hostile"])
    with pytest.raises(PracticeError, match="2 or 3 different customers"):
        rush.start(ann, ["hostile", "provocateur", "discount-demander", "language-barrier"])
    with pytest.raises(PracticeError, match="cannot have the customer 'dispute'"):
        rush.start(ann, ["hostile", "dispute"])
    with pytest.raises(PracticeError, match="cannot have the customer 'nobody'"):
        rush.start(ann, ["hostile", "nobody"])
    rush_id = rush.start(ann, SLUGS[:2], seed=7)
    chat = rush.get(ann, rush_id).customers[0].chat
    for other in (bob,):
        with pytest.raises(PracticeError, match=f"No rush hour with id {rush_id}"):
            rush.get(other, rush_id)
    with pytest.raises(PracticeError, match=f"No rush hour with id {rush_id}"):
        rush.send(tina, rush_id, chat.id, "Hi")  # a trainer may read it, not write into it
    assert rush.get(tina, rush_id).id == rush_id
    with pytest.raises(PracticeError, match="not one of rush hour"):
        rush.send(ann, rush_id, chat.id + 100, "Hi")
    with pytest.raises(PracticeError, match="No rush hour with id 999"):
        rush.get(ann, 999)
    assert [r.id for r in rush.running(ann)] == [rush_id]
    rush.end(ann, rush_id)
    assert rush.running(ann) == []
