"""A coach on demand on both databases: hints chosen for the moment, stored once per moment, shown on the report,
refused where they are not allowed; phrased by a model only when one answers usefully (FakeOpenAIServer, a fake
OpenAI-compatible HTTP server)."""

from __future__ import annotations

from typing import Any

import pytest

from services import AccessDenied, Actor, PracticeError, build_services
from settings import Settings
from tests.conftest import make_people
from tests.fakes.openai_server import FakeOpenAIServer, Fault
from tests.services.test_certification import campaign

SYSTEM = Actor.system()


@pytest.fixture
def world(settings: Settings) -> dict[str, Any]:
    services = build_services(settings)
    return {"services": services, "settings": settings, **make_people(services)}


def test_hints_fit_the_moment_are_stored_once_per_moment_and_listed_for_the_report(world: dict[str, Any]) -> None:
    services, ann, tina = world["services"], world["ann"], world["tina"]
    view = services.practice.start(ann, persona_slug="hostile", seed=3).finish()
    first = services.hints.hint(ann, view.id)
    assert first.kind == "not_heard" and first.turn == 1 and "H.E.A.R.D." in first.source
    assert first.source.startswith("Four nightmares in customer service")  # the material's title, not its number
    assert services.hints.hint(ann, view.id) == first  # asked again at the same moment: the same hint, once
    services.practice.send(ann, view.id, "I'm so sorry: you stayed home twice and nobody came or called. That's "
                                         "awful, and it's on us.").finish()
    services.practice.send(ann, view.id, "No, we can't refund that.").finish()
    second = services.hints.hint(ann, view.id)
    assert second.turn == 3 and second.kind in {"no_alternative", "threat"}
    used = services.hints.used(tina, view.id)  # the trainer reads them on the report
    assert [(h.turn, h.kind) for h in used] == [(1, "not_heard"), (3, second.kind)]
    history = services.grading.history(ann)
    assert history[0].hints == 2  # the trainee's progress marks the chat as one with hints


def test_hints_are_refused_where_they_are_not_allowed(world: dict[str, Any]) -> None:
    services, ann, bob = world["services"], world["ann"], world["bob"]
    view = services.practice.start(ann, persona_slug="hostile", seed=3).finish()
    with pytest.raises(AccessDenied):
        services.hints.hint(bob, view.id)
    services.practice.end(ann, view.id)
    with pytest.raises(PracticeError, match="has ended"):
        services.hints.hint(ann, view.id)
    attempt = services.certification.start_attempt(ann, campaign(services), holder="tab-1")
    current = services.certification.attempt(ann, attempt.id, holder="tab-1")
    with pytest.raises(PracticeError, match="not available in certification"):
        services.hints.hint(ann, current.session_id)


def test_a_model_phrases_the_chosen_hint_and_garbage_keeps_the_hint_s_own_words(settings: Settings) -> None:
    with FakeOpenAIServer() as server:
        services = build_services(settings.model_copy(update={
            "llm_backend": "openai", "openai_base_url": server.base_url, "max_retries": 0, "request_timeout": 5}))
        ann = make_people(services)["ann"]
        server.enqueue("Two wasted days off and nobody called! Where is my machine?")
        view = services.practice.start(ann, persona_slug="hostile", seed=3).finish()
        server.enqueue("Before anything else, tell Derek you get that he lost two days off work waiting for nothing.")
        phrased = services.hints.hint(ann, view.id)
        assert phrased.kind == "not_heard" and phrased.phrased_by == "gpt-4o-mini"
        assert phrased.text.startswith("Before anything else, tell Derek")
        assert "Hint: They have not felt heard yet" in server.requests[-1]["messages"][1]["content"]
        for bad in (Fault(503), "Customer: I want my machine!", " ".join(["word"] * 80)):
            server.enqueue("Fine. FS-88412.")
            services.practice.send(ann, view.id, "What's the order number?").finish()
            server.enqueue(bad)
            kept = services.hints.hint(ann, view.id)
            assert kept.kind == "not_heard" and kept.phrased_by is None
            assert kept.text.startswith("They have not felt heard yet")
