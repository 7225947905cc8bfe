"""Try a different reply from a turn: branches of a practice chat on both databases (real services, scripted
customer, real grader)."""

from __future__ import annotations

from typing import Any

import pytest

from customer.state import CustomerState
from db.repositories import Work
from db.repositories.sessions import state_of
from services import AccessDenied, Actor, PracticeError, build_services
from settings import Settings
from tests.conftest import make_people, run_sql
from tests.services.test_certification import campaign

SYSTEM = Actor.system()
LINES = [
    "Can I have your order number, please?",
    "Right. Deliveries get missed sometimes, it happens.",
    "I'll arrange a new delivery slot for you.",
]
BETTER = ("I'm so sorry: you stayed home twice and nobody came or called. That's on us. I'll book Saturday "
          "morning for you and call you by 5pm today to confirm.")


@pytest.fixture
def world(settings: Settings) -> dict[str, Any]:
    services = build_services(settings)
    return {"services": services, "settings": settings, **make_people(services)}


def played(services: Any, who: Actor, lines: list[str], seed: int = 7) -> int:
    view = services.practice.start(who, persona_slug="hostile", seed=seed).finish()
    for line in lines:
        services.practice.send(who, view.id, line).finish()
    return int(view.id)


def stored_state(settings: Settings, session_id: int) -> CustomerState:
    with Work(build_services(settings).practice.sessions)() as uow:
        row = uow.sessions.get(session_id)
        assert row is not None
        return state_of(row)


def test_a_branch_starts_from_the_customer_exactly_as_it_was_and_the_family_compares_scores(
        world: dict[str, Any]) -> None:
    services, ann, settings = world["services"], world["ann"], world["settings"]
    original = played(services, ann, LINES)
    first = services.practice.get(ann, original)
    branch = services.branches.branch(ann, original, 2)
    view = services.practice.get(ann, branch)
    # The conversation up to turn 2 (opening, turn 1, the customer's reply), and the trainee's turn now.
    assert [m.content for m in view.messages] == [m.content for m in first.messages[:3]]
    assert view.active and not view.awaiting_reply and view.frustration == first.messages[2].frustration
    # The state is the one a chat played to that point has: replay turn 1 alone with the same seed.
    replay = played(services, ann, LINES[:1])
    assert stored_state(settings, branch) == stored_state(settings, replay)
    # Same state, seed and line history: the same reply gets the same answer as in the original chat.
    services.practice.send(ann, branch, LINES[1]).finish()
    assert services.practice.get(ann, branch).messages[4].content == first.messages[4].content
    other = services.branches.branch(ann, original, 2)
    services.practice.send(ann, other, BETTER).finish()
    for chat in (original, other):
        services.practice.end_and_grade(ann, chat)
    family = services.branches.family(ann, other)
    assert [f.session_id for f in family] == [original, branch, other]
    root, _, mine = family
    assert root.split_turn is None and root.parent_id is None and root.overall is not None
    assert mine.current and mine.parent_id == original and mine.split_turn == 2
    assert mine.replaced == LINES[1] and mine.reply == BETTER
    assert mine.overall is not None and mine.overall > root.overall  # the better reply scores better
    assert family[1].overall is None and family[1].active  # still running, not graded


def test_a_branch_of_a_branch_stays_in_the_family(world: dict[str, Any]) -> None:
    services, ann = world["services"], world["ann"]
    original = played(services, ann, LINES)
    child = services.branches.branch(ann, original, 3)
    services.practice.send(ann, child, BETTER).finish()
    grandchild = services.branches.branch(ann, child, 3)
    family = services.branches.family(ann, original)
    assert [f.session_id for f in family] == [original, child, grandchild]
    assert family[2].parent_id == child and family[2].split_turn == 3 and family[2].replaced == BETTER
    assert services.branches.family(ann, played(services, ann, LINES[:1])) == []  # never branched: no family


def test_only_the_trainee_branches_their_own_practice_chat(world: dict[str, Any]) -> None:
    services, ann, bob, tina = world["services"], world["ann"], world["bob"], world["tina"]
    original = played(services, ann, LINES)
    services.branches.branch(ann, original, 1)
    for other in (bob, tina):
        with pytest.raises(AccessDenied, match=f"No chat with id {original}"):
            services.branches.branch(other, original, 1)
    with pytest.raises(AccessDenied):
        services.branches.family(bob, original)  # another team's trainee reads nothing
    assert len(services.branches.family(tina, original)) == 2  # ann's trainer reads the family
    for turn in (0, 4):
        with pytest.raises(PracticeError, match="has no turn"):
            services.branches.branch(ann, original, turn)
    with pytest.raises(PracticeError, match="No chat with id 999"):
        services.branches.branch(ann, 999, 1)


def test_certification_chats_and_chats_recorded_without_states_cannot_be_branched(world: dict[str, Any]) -> None:
    services, ann, settings = world["services"], world["ann"], world["settings"]
    attempt = services.certification.start_attempt(ann, campaign(services), holder="tab-1")
    services.certification.send(ann, attempt.id, LINES[0], holder="tab-1").finish()
    current = services.certification.attempt(ann, attempt.id, holder="tab-1")
    with pytest.raises(PracticeError, match="certification attempt"):
        services.branches.branch(ann, current.session_id, 1)
    old = played(services, ann, LINES)
    run_sql(settings.database_url, "UPDATE messages SET state_json = NULL WHERE session_id = :s", {"s": old})
    with pytest.raises(PracticeError, match="recorded before"):
        services.branches.branch(ann, old, 2)
