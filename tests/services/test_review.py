from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from services import AccessDenied, Actor, ReviewFilters, build_services
from settings import Settings
from tests.conftest import agent_lines, make_people

SYSTEM = Actor.system()


@pytest.fixture(params=["team", "all"])
def world(request: pytest.FixtureRequest, settings: Settings) -> dict[str, Any]:
    services = build_services(settings.model_copy(update={"trainer_scope": request.param}))
    people = make_people(services)
    chats: dict[str, int] = {}
    plan = [("ann", "hostile", "hostile", "normal"), ("ann", "provocateur", "rude", "hard"),
            ("bob", "hostile", "rude", "easy"), ("bob", "language-barrier", "language-barrier", "normal")]
    for owner, persona, script, difficulty in plan:
        view = services.practice.start(people[owner], persona_slug=persona, difficulty=difficulty, seed=1).finish()
        assert view is not None
        for line in agent_lines(script):
            if not view.active:
                break
            view = services.practice.send(people[owner], view.id, line).finish()
            assert view is not None
        if view.active:
            services.practice.end(people[owner], view.id)
        services.grading.report_for(people[owner], view.id)
        chats[f"{owner}:{persona}"] = view.id
    return {"services": services, "people": people, "chats": chats, "scope": request.param}


def ids(page: Any) -> set[int]:
    return {r.session_id for r in page.rows}


def test_filters_sort_and_pages(world: dict[str, Any]) -> None:
    review, chats = world["services"].review, world["chats"]
    everything = review.browse(SYSTEM, ReviewFilters())
    assert everything.total == 4 and ids(everything) == set(chats.values())
    assert ids(review.browse(SYSTEM, ReviewFilters(trainee="ann"))) == {chats["ann:hostile"], chats["ann:provocateur"]}
    assert ids(review.browse(SYSTEM, ReviewFilters(personas=("hostile",)))) == {chats["ann:hostile"],
                                                                                 chats["bob:hostile"]}
    assert ids(review.browse(SYSTEM, ReviewFilters(difficulty="hard"))) == {chats["ann:provocateur"]}
    strong = review.browse(SYSTEM, ReviewFilters(score_min=70))
    assert ids(strong) == {chats["ann:hostile"], chats["bob:language-barrier"]}
    assert all(r.passed for r in strong.rows)
    lowest = review.browse(SYSTEM, ReviewFilters(sort="lowest score"))
    scores = [r.overall for r in lowest.rows]
    assert scores == sorted(scores)  # type: ignore[type-var]
    first, second = (review.browse(SYSTEM, ReviewFilters(sort="oldest"), page=n, size=3) for n in (1, 2))
    assert first.total == second.total == 4 and len(first.rows) == 3 and len(second.rows) == 1
    assert ids(first).isdisjoint(ids(second))
    assert review.browse(SYSTEM, ReviewFilters(team="blue")).total == 2


def test_scope_and_refusals(world: dict[str, Any]) -> None:
    review, people, chats = world["services"].review, world["people"], world["chats"]
    with pytest.raises(AccessDenied):
        review.browse(people["ann"], ReviewFilters())
    seen = review.browse(people["tina"], ReviewFilters())
    if world["scope"] == "team":
        assert ids(seen) == {chats["ann:hostile"], chats["ann:provocateur"]}
        assert review.browse(people["tina"], ReviewFilters(team="blue")).total == 0  # cannot widen her scope
        with pytest.raises(AccessDenied):
            review.export(people["tina"], [chats["bob:hostile"]], "csv")
    else:
        assert seen.total == 4


def test_export_selected_as_csv_and_json(world: dict[str, Any]) -> None:
    review, chats = world["services"].review, world["chats"]
    chosen = [chats["ann:hostile"], chats["bob:hostile"]]
    data = json.loads(review.export(SYSTEM, chosen, "json"))
    assert sorted(s["id"] for s in data["sessions"]) == sorted(chosen)
    assert all(s["grades"] and s["messages"] for s in data["sessions"])
    rows = list(csv.DictReader(io.StringIO(review.export(SYSTEM, chosen, "csv"))))
    assert {int(r["session_id"]) for r in rows} == set(chosen)


def test_comments_and_exemplars(world: dict[str, Any]) -> None:
    from services import PracticeError

    services, people, chats = world["services"], world["people"], world["chats"]
    review, tina, ann, bob = services.review, people["tina"], people["ann"], people["bob"]
    chat = chats["ann:hostile"]
    review.comment(tina, chat, turn=2, body="Great apology: specific and early.")
    review.comment(tina, chat, turn=2, body="<b>Next time</b> recap before asking.")
    assert review.comments(ann, chat) == {2: [("tina", "Great apology: specific and early."),
                                              ("tina", "<b>Next time</b> recap before asking.")]}
    with pytest.raises(AccessDenied):
        review.comment(ann, chat, turn=2, body="self-praise")
    with pytest.raises(AccessDenied):
        review.comments(bob, chat)
    with pytest.raises(PracticeError, match="turns 1 to"):
        review.comment(tina, chat, turn=999, body="x")
    with pytest.raises(PracticeError, match="Write a comment"):
        review.comment(tina, chat, turn=1, body="   ")
    review.mark_exemplar(tina, chat, exemplar=True, note="model apology")
    assert ids(review.browse(SYSTEM, ReviewFilters(exemplars=True))) == {chat}
    assert review.exemplar_ids(tina, [chat, chats["ann:provocateur"]]) == {chat}
    review.mark_exemplar(tina, chat, exemplar=False)
    assert review.browse(SYSTEM, ReviewFilters(exemplars=True)).total == 0
