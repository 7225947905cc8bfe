"""The score of record is the latest decision: a trainer's override changes what Review, My progress, Analytics
and every export show (marked as overridden), and the browser filters and sorts on it. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from sqlalchemy import select

from db.models import GradeOverride, PracticeSession
from grading.report import GradeReport
from services import Actor, ReviewFilters, Services, build_services
from settings import Settings
from tests.conftest import ROOT, agent_lines
from tests.pages.test_progress_analytics_apptest import add_teams

SYSTEM = Actor.system()


@pytest.fixture
def services(settings: Settings) -> Services:
    return build_services(settings.model_copy(update={"trainer_scope": "team"}))


def practise(services: Services, who: Actor, persona: str, script: str) -> int:
    view = services.practice.start(who, persona_slug=persona, seed=1).finish()
    assert view is not None
    for line in agent_lines(script):
        if not view.active:
            break
        view = services.practice.send(who, view.id, line).finish()
        assert view is not None
    if view.active:
        services.practice.end(who, view.id)
    services.grading.report_for(who, view.id)
    return view.id


@pytest.fixture
def world(services: Services) -> dict[str, object]:
    add_teams(services, "Red", "Blue")
    make = services.auth.create_user
    ann = make(SYSTEM, username="ann", role="trainee", password="password-1", team="Red")
    bob = make(SYSTEM, username="bob", role="trainee", password="password-2", team="Blue")
    tina = make(SYSTEM, username="tina", role="trainer", password="password-3", team="Red")
    chat = practise(services, ann, "hostile", "hostile")
    other = practise(services, bob, "hostile", "hostile")
    machine = services.grading.latest(ann, chat)
    assert machine is not None and machine.report.passed
    decided = chat_after = None
    for criterion in ("apology", "ownership", "paraphrase"):
        decided = services.grading.override(tina, chat, criterion_id=criterion, level=0,
                                            reason="for a different order")
    assert decided is not None
    chat_after = decided.report
    assert chat_after.overall < machine.report.overall and not chat_after.passed
    return {"ann": ann, "bob": bob, "tina": tina, "chat": chat, "other": other, "machine": machine.report,
            "decided": chat_after}


def test_review_lists_sorts_and_filters_by_the_decision(services: Services, world: dict[str, object]) -> None:
    decided, machine, chat = world["decided"], world["machine"], world["chat"]
    assert isinstance(decided, GradeReport) and isinstance(machine, GradeReport)
    [row] = [r for r in services.review.browse(SYSTEM, ReviewFilters()).rows if r.session_id == chat]
    assert (row.overall, row.passed, row.overridden) == (decided.overall, False, True)
    [untouched] = [r for r in services.review.browse(SYSTEM, ReviewFilters()).rows if r.session_id != chat]
    assert not untouched.overridden and untouched.passed
    below = services.review.browse(SYSTEM, ReviewFilters(score_max=decided.overall))
    assert chat in {r.session_id for r in below.rows}
    lowest = services.review.browse(SYSTEM, ReviewFilters(sort="lowest score")).rows
    assert lowest[0].session_id == chat
    with services.grading.sessions() as db:
        session = db.get(PracticeSession, chat)
        assert session is not None and session.latest_overall == decided.overall


def test_an_override_and_the_session_score_are_one_transaction(services: Services,
                                                                world: dict[str, object],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure while the override is stored leaves neither the override nor a changed session score."""
    import db.audit as audit_chain

    chat, tina, decided = world["chat"], world["tina"], world["decided"]
    assert isinstance(chat, int) and isinstance(tina, Actor) and isinstance(decided, GradeReport)
    with services.grading.sessions() as db:
        before = len(db.scalars(select(GradeOverride)).all())

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("connection lost while storing the override")

    monkeypatch.setattr(audit_chain, "append", crash)
    with pytest.raises(RuntimeError):
        services.grading.override(tina, chat, criterion_id="acknowledge", level=0, reason="x")
    monkeypatch.undo()
    with services.grading.sessions() as db:
        assert len(db.scalars(select(GradeOverride)).all()) == before
        session = db.get(PracticeSession, chat)
        assert session is not None and session.latest_overall == decided.overall


def test_progress_and_analytics_use_the_decision(services: Services, world: dict[str, object]) -> None:
    ann, chat, decided = world["ann"], world["chat"], world["decided"]
    assert isinstance(ann, Actor) and isinstance(decided, GradeReport)
    [item] = [i for i in services.grading.history(ann) if i.session_id == chat]
    assert (item.overall, item.passed, item.overridden) == (decided.overall, False, True)
    mine = services.analytics.trainee(ann)
    [point] = [p for p in mine.trend if p.chat == chat]
    assert point.score == decided.overall and point.overridden and point.seq == 1
    apology = next(c for c in mine.criteria if c.criterion == "apology")
    assert apology.average_level == 0 and apology.title == "A sincere apology"
    team = services.analytics.team(world["tina"], "Red")  # type: ignore[arg-type]
    [cell] = [h for h in team.heatmap if h.criterion == "apology"]
    assert cell.average_level == 0 and cell.title == "A sincere apology"
    [by_persona] = team.by_persona
    assert by_persona.average_score == decided.overall
    assert by_persona.title == "Hostile: the missed-delivery shouter"


def test_exports_carry_score_pass_levels_team_and_status(services: Services, world: dict[str, object]) -> None:
    chat, other, decided = world["chat"], world["other"], world["decided"]
    assert isinstance(chat, int) and isinstance(other, int) and isinstance(decided, GradeReport)
    data = json.loads(services.review.export(SYSTEM, [chat, other], "json"))
    first = next(s for s in data["sessions"] if s["id"] == chat)
    for key in ("id", "persona", "user", "mode", "started_at", "messages", "grades"):  # the DESIGN.md contract
        assert key in first
    assert (first["score"], first["passed"], first["overridden"]) == (decided.overall, False, True)
    assert first["team"] == "Red" and first["status"] == "ended" and first["grade_status"] == "final"
    levels = {c["id"]: c for c in first["criteria"]}
    assert levels["apology"]["level"] == 0 and levels["apology"]["overridden"]
    assert levels["apology"]["original_level"] == 3
    assert [o["criterion_id"] for o in first["grades"][-1]["overrides"]] == ["apology", "ownership", "paraphrase"]

    rows = list(csv.DictReader(io.StringIO(services.review.export(SYSTEM, [chat, other], "csv"))))
    mine = [r for r in rows if r["session_id"] == str(chat)]
    assert mine and all(r["score"] == str(decided.overall) and r["passed"] == "no" and r["overridden"] == "yes"
                        and r["team"] == "Red" and r["status"] == "ended" and r["level:apology"] == "0"
                        for r in mine)
    assert any(r["role"] == "agent" for r in mine)  # the messages are still there
    summary = list(csv.DictReader(io.StringIO(services.review.export(SYSTEM, [chat, other], "scores"))))
    assert [int(r["session_id"]) for r in summary] == [chat, other]
    assert summary[0]["score"] == str(decided.overall) and summary[1]["overridden"] == "no"


def test_cli_export_carries_the_decision(settings: Settings, world: dict[str, object]) -> None:
    decided, chat = world["decided"], world["chat"]
    assert isinstance(decided, GradeReport)
    out = subprocess.run([sys.executable, "-m", "db", "export", "--format", "json", "--database-url",
                          settings.database_url], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    [first] = [s for s in json.loads(out.stdout)["sessions"] if s["id"] == chat]
    assert first["score"] == decided.overall and first["overridden"] is True


def test_filter_choices_list_what_the_viewer_may_see(services: Services, world: dict[str, object]) -> None:
    tina = world["tina"]
    assert isinstance(tina, Actor)
    mine = services.review.filter_choices(tina)
    assert (mine.trainees, mine.teams) == (("ann",), ("Red",))
    everyone = services.review.filter_choices(SYSTEM)
    assert everyone.trainees == ("ann", "bob") and everyone.teams == ("Blue", "Red")
    with pytest.raises(Exception, match="trainers and admins"):
        services.review.filter_choices(world["ann"])  # type: ignore[arg-type]


def test_a_trainee_cannot_regrade_away_a_trainers_override(services: Services, world: dict[str, object]) -> None:
    """A regrade appends a newer grade, which would set the override aside: only staff may regrade a graded chat
    (the trainee's report offered a Regrade button)."""
    from services import AccessDenied

    ann, tina, chat = world["ann"], world["tina"], world["chat"]
    before = services.grading.latest(ann, chat)  # type: ignore[arg-type]
    with pytest.raises(AccessDenied, match="Only a trainer can regrade a graded chat"):
        services.grading.grade_session(ann, chat)  # type: ignore[arg-type]
    after = services.grading.latest(ann, chat)  # type: ignore[arg-type]
    assert before is not None and after is not None and after.id == before.id
    assert services.grading.grade_session(tina, chat).id != before.id  # type: ignore[arg-type]
