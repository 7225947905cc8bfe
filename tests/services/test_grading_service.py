from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import Grade
from services import AccessDenied, PracticeError, Services, build_services
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
    stored = services.practice.end_and_grade(SYSTEM, sid)
    assert stored is not None and stored.report.status == "final" and grade_rows(services, sid) == 1
    assert services.practice.get(SYSTEM, sid).ended_reason == "agent_ended"
    again = services.grading.grade_session(SYSTEM, sid)
    assert again.id > stored.id and grade_rows(services, sid) == 2
    assert services.grading.latest(SYSTEM, sid).id == again.id  # type: ignore[union-attr]
    assert again.report.overall == stored.report.overall  # same versions, same score


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


def test_trainer_override_is_a_new_row_keeps_the_original_and_recomputes_pass(services: Services) -> None:
    from sqlalchemy import select as sql_select

    from db.models import Grade as GradeRow
    from db.models import GradeOverride

    tina = services.auth.create_user(SYSTEM, username="tina", role="trainer", password="password-3")
    ann = services.auth.create_user(SYSTEM, username="ann", role="trainee", password="password-1")
    view = services.practice.start(ann, persona_slug="hostile", seed=1).finish()
    assert view is not None
    for line in agent_lines("hostile"):
        if view is None or not view.active:
            break
        view = services.practice.send(ann, view.id, line).finish()
    assert view is not None
    original = services.grading.report_for(ann, view.id)
    assert original.report.passed and original.report.overall >= 80
    with pytest.raises(AccessDenied):
        services.grading.override(ann, view.id, criterion_id="apology", level=0, reason="I disagree")
    with pytest.raises(PracticeError, match="Give a reason"):
        services.grading.override(tina, view.id, criterion_id="apology", level=0, reason="  ")
    with pytest.raises(PracticeError, match="Unknown criterion"):
        services.grading.override(tina, view.id, criterion_id="charm", level=0, reason="x")
    for criterion in ("apology", "ownership", "limits", "paraphrase"):
        corrected = services.grading.override(tina, view.id, criterion_id=criterion, level=0,
                                              reason="the apology and the plan were for a different order")
    levels = {c.id: c for c in corrected.report.criteria}
    apology = levels["apology"]
    assert apology.level == 0 and apology.override is not None and apology.override.original == 3
    assert apology.override.by == "tina"
    assert corrected.report.overall < original.report.overall and not corrected.report.passed
    assert services.grading.latest(ann, view.id).report.overall == corrected.report.overall  # type: ignore[union-attr]
    with services.grading.sessions() as db:
        stored = db.scalar(sql_select(GradeRow).where(GradeRow.id == original.id))
        assert stored is not None and stored.overall == original.report.overall and stored.passed
        assert len(db.scalars(sql_select(GradeOverride)).all()) == 4


def test_ending_and_grading_is_one_transaction(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while the grade is stored (a crash, a lost connection) leaves the chat running, never ended
    without its grade; the next End grades it."""
    import db.audit

    sid = play(services, "ann", "hostile", agent_lines("hostile")[:2])

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut while storing the grade")

    with monkeypatch.context() as patch:
        patch.setattr(db.audit, "append", crash)
        with pytest.raises(RuntimeError, match="power cut"):
            services.practice.end_and_grade(SYSTEM, sid)
    assert services.practice.get(SYSTEM, sid).active and grade_rows(services, sid) == 0
    assert services.practice.end_and_grade(SYSTEM, sid) is not None
    assert not services.practice.get(SYSTEM, sid).active and grade_rows(services, sid) == 1


def test_ending_a_chat_with_nothing_said_just_ends_it(services: Services) -> None:
    sid = play(services, "ann", "hostile", [])
    assert services.practice.end_and_grade(SYSTEM, sid) is None
    assert services.practice.get(SYSTEM, sid).ended_reason == "agent_ended" and grade_rows(services, sid) == 0


def test_a_chat_the_customer_ends_is_graded_at_once(services: Services) -> None:
    """Resolved or walked away: the chat is graded when the customer ends it, so trainers and analytics see it
    even if its trainee never opens the report; opening the report then adds no second grade."""
    walked = play(services, "ann", "hostile", agent_lines("rude"))
    assert services.practice.get(SYSTEM, walked).ended_reason == "walked_away"
    assert grade_rows(services, walked) == 1
    resolved = play(services, "ann", "hostile", agent_lines("hostile"))
    assert services.practice.get(SYSTEM, resolved).ended_reason == "resolved"
    assert grade_rows(services, resolved) == 1
    assert [h.session_id for h in services.grading.history(SYSTEM, "ann") if h.overall is not None] == \
        [resolved, walked]
    services.grading.report_for(SYSTEM, resolved)
    assert grade_rows(services, resolved) == 1
    running = play(services, "ann", "hostile", agent_lines("hostile")[:1])
    assert grade_rows(services, running) == 0  # a chat still going is not graded
