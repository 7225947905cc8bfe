"""A dispute chat through the real services on both databases: who spoke is stored, both customers' meters are in
the view, the grade carries the mediation criterion from the customers' own states, and branching and hints work
with two customers."""

from __future__ import annotations

from typing import Any

import pytest

from db.repositories import Work
from db.repositories.sessions import state_of
from services import build_services
from settings import Settings
from tests.conftest import make_people

ELENA, MARCUS = "Elena Vasquez", "Marcus Webb"
LINES = [
    "Elena, Marcus, I'm so sorry: we booked the same suite twice, and that is our mistake, not yours.",
    "Marcus, what do you need for tonight?",
    "Here is my suggestion: Marcus stays in 412, and Elena, suite 508 has the same sea view and balcony at no extra "
    "cost, ready by 6pm today, with a complimentary anniversary dinner.",
]


@pytest.fixture
def world(settings: Settings) -> dict[str, Any]:
    services = build_services(settings)
    return {"services": services, "settings": settings, **make_people(services)}


def test_a_dispute_is_stored_with_its_speakers_and_graded_on_mediation(world: dict[str, Any]) -> None:
    services, ann = world["services"], world["ann"]
    actor = ann
    view = services.practice.start(actor, persona_slug="dispute", seed=5).finish()
    assert [m.speaker for m in view.messages] == [ELENA, MARCUS]
    assert [p.name for p in view.parties] == [ELENA, MARCUS]
    for line in LINES:
        view = services.practice.send(actor, view.id, line).finish()
    # The turn spoken to Marcus alone is answered by Marcus alone.
    agent = [i for i, m in enumerate(view.messages) if m.role == "agent"]
    second_turn = view.messages[agent[1] + 1: agent[2]]
    assert [m.speaker for m in second_turn] == [MARCUS]
    assert all(m.speaker in (ELENA, MARCUS) for m in view.messages if m.role == "customer")
    assert view.frustration == max(p.frustration for p in view.parties)
    with Work(services.practice.sessions)() as uow:
        row = uow.sessions.get(view.id)
        assert row is not None and len(state_of(row).parties) == 2
        assert all(m.state_json for m in row.messages if m.role == "customer")
    stored = services.practice.end_and_grade(actor, view.id)
    assert stored is not None
    mediation = next(c for c in stored.report.criteria if c.id == "mediation")
    assert mediation.level is not None and mediation.level >= 2
    assert any(e.note == "hears Elena" for e in mediation.evidence)
    assert any(e.note == "hears Marcus" for e in mediation.evidence)


def test_a_dispute_can_be_branched_and_hinted(world: dict[str, Any]) -> None:
    services, ann = world["services"], world["ann"]
    actor = ann
    view = services.practice.start(actor, persona_slug="dispute", seed=5).finish()
    hint = services.hints.hint(actor, view.id)
    assert hint.text
    for line in LINES[:2]:
        view = services.practice.send(actor, view.id, line).finish()
    branch = services.branches.branch(actor, view.id, 2)
    copy = services.practice.get(actor, branch)
    assert [m.speaker for m in copy.messages] == [m.speaker for m in view.messages[: len(copy.messages)]]
    assert len(copy.parties) == 2
    after = services.practice.send(actor, branch, "Marcus, what do you need for tonight?").finish()
    assert after.messages[-1].speaker == MARCUS
