from __future__ import annotations

import pytest

from services import AccessDenied, Actor, build_services
from settings import Settings
from tests.conftest import agent_lines

SYSTEM = Actor.system()


def play(services: object, actor: Actor, persona: str, script: str) -> int:
    s = services  # type: ignore[assignment]
    view = s.practice.start(actor, persona_slug=persona, seed=1).finish()  # type: ignore[attr-defined]
    for line in agent_lines(script):
        if not view.active:
            break
        view = s.practice.send(actor, view.id, line).finish()  # type: ignore[attr-defined]
    if view.active:
        s.practice.end(actor, view.id)  # type: ignore[attr-defined]
    s.grading.report_for(actor, view.id)  # type: ignore[attr-defined]
    return int(view.id)


def test_trainee_and_team_analytics(settings: Settings) -> None:
    services = build_services(settings.model_copy(update={"trainer_scope": "team"}))
    make = services.auth.create_user
    ann = make(SYSTEM, username="ann", role="trainee", password="password-1", team="red")
    cal = make(SYSTEM, username="cal", role="trainee", password="password-1", team="red")
    bob = make(SYSTEM, username="bob", role="trainee", password="password-2", team="blue")
    tina = make(SYSTEM, username="tina", role="trainer", password="password-3", team="red")
    play(services, ann, "hostile", "hostile")
    play(services, ann, "hostile", "rude")
    play(services, cal, "provocateur", "provocateur")
    play(services, bob, "hostile", "rude")

    mine = services.analytics.trainee(ann)
    assert len(mine.trend) == 2 and mine.trend[0].score > mine.trend[1].score
    profile = {r.criterion: r for r in mine.criteria}
    assert profile["apology"].graded == 2 and 0 <= profile["apology"].average_level <= 3
    assert sum(w.sessions for w in mine.per_week) == 2
    with pytest.raises(AccessDenied):
        services.analytics.trainee(ann, "bob")
    with pytest.raises(AccessDenied):
        services.analytics.team(ann, "red")

    red = services.analytics.team(tina, "red")
    assert {r.trainee for r in red.heatmap} == {"ann", "cal"}
    levels = [r.average_level for r in red.weakest]
    assert levels == sorted(levels)
    assert {(r.persona, r.difficulty) for r in red.by_persona} == {("hostile", "normal"),
                                                                         ("provocateur", "normal")}
    hostile = next(r for r in red.by_persona if r.persona == "hostile")
    assert hostile.n == 2
    with pytest.raises(AccessDenied):
        services.analytics.team(tina, "blue")
    assert {r.trainee for r in services.analytics.team(SYSTEM, "blue").heatmap} == {"bob"}
