from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import Grade
from services import PracticeError, Services, build_services
from services.auth import Actor
from settings import Settings
from tests.conftest import agent_lines

SYSTEM = Actor.system()


@pytest.fixture
def services(settings: Settings) -> Services:
    return build_services(settings)


def play(services: Services, trainee: str, persona: str, lines: list[str]) -> int:
    view = services.practice.start(SYSTEM, trainee=trainee, persona_slug=persona, seed=1).finish()
    assert view is not None
    for line in lines:
        if not view.active:
            break
        view = services.practice.send(SYSTEM, view.id, line).finish()
        assert view is not None
    return view.id


def grade_rows(services: Services, session_id: int) -> int:
    with services.grading.sessions() as db:
        return db.scalar(select(func.count()).select_from(Grade).where(Grade.session_id == session_id)) or 0


def test_end_and_grade_stores_an_append_only_grade(services: Services) -> None:
    sid = play(services, "ann", "hostile", agent_lines("hostile")[:3])
    stored = services.end_and_grade(SYSTEM, sid)
    assert stored.report["status"] == "final" and grade_rows(services, sid) == 1
    assert services.practice.get(SYSTEM, sid).ended_reason == "agent_ended"
    again = services.grading.grade_session(SYSTEM, sid)
    assert again.id > stored.id and grade_rows(services, sid) == 2
    assert services.grading.latest(SYSTEM, sid).id == again.id  # type: ignore[union-attr]
    assert again.report["overall"] == stored.report["overall"]  # same versions, same score


def test_report_for_grades_an_ended_chat_once(services: Services) -> None:
    sid = play(services, "ann", "hostile", agent_lines("rude"))
    assert not services.practice.get(SYSTEM, sid).active  # the customer walked away
    first = services.grading.report_for(SYSTEM, sid)
    assert services.grading.report_for(SYSTEM, sid).id == first.id and grade_rows(services, sid) == 1
    active = play(services, "ann", "hostile", agent_lines("hostile")[:1])
    with pytest.raises(PracticeError, match="still going"):
        services.grading.report_for(SYSTEM, active)
    empty = services.practice.start(SYSTEM, trainee="ann", persona_slug="hostile", seed=1).finish()
    assert empty is not None
    with pytest.raises(PracticeError, match="nothing to grade"):
        services.grading.grade_session(SYSTEM, empty.id)


def test_history_lists_scores_newest_first(services: Services) -> None:
    weak = play(services, "bea", "hostile", agent_lines("rude"))
    strong = play(services, "bea", "hostile", agent_lines("hostile"))
    services.grading.report_for(SYSTEM, weak)
    services.grading.report_for(SYSTEM, strong)
    play(services, "someone-else", "hostile", agent_lines("rude"))
    history = services.grading.history(SYSTEM, "bea")
    assert [h.session_id for h in history] == [strong, weak]
    assert history[0].passed and not history[1].passed
    assert history[0].overall > history[1].overall  # type: ignore[operator]
