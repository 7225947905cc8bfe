"""Trainers' judgements, agreement per criterion, trainees' disputes and trust in certification, on both
databases (real services, real grader, scripted customer)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from db import audit
from db.engine import cached_engine
from db.repositories import Work
from grading.cli import main as grading_main
from services import AccessDenied, Actor, PracticeError, Services, build_services
from settings import Settings
from tests.conftest import make_people, run_sql

SYSTEM = Actor.system()
POLITE = "I'm so sorry we missed both deliveries. Let me check what happened with your order right now."
RUDE = "Calm down, sir. I'm sorry about that."


@pytest.fixture
def world(settings: Settings) -> dict[str, Any]:
    services = build_services(settings)
    return {"services": services, "settings": settings, **make_people(services)}


def chat(services: Services, who: Actor, line: str) -> int:
    """One ended, graded practice chat in which the trainee wrote ``line``."""
    view = services.practice.start(who, persona_slug="hostile", seed=1).finish()
    assert view is not None
    services.practice.send(who, view.id, line).finish()
    services.practice.end(who, view.id)
    services.grading.report_for(who, view.id)
    return view.id


def level(services: Services, session_id: int, criterion: str) -> int | None:
    stored = services.grading.latest(SYSTEM, session_id)
    assert stored is not None
    return stored.report.criterion(criterion).level


def test_overrides_and_confirmations_give_the_hand_calculated_kappa(world: dict[str, Any],
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    services, ann, tina = world["services"], world["ann"], world["tina"]
    chats = [chat(services, ann, line) for line in (POLITE, POLITE, RUDE, RUDE)]
    assert [level(services, c, "no_canned") for c in chats] == [3, 3, 1, 1]  # the grader's levels
    services.calibration.confirm(tina, chats[0], "no_canned")                       # (3, 3)
    services.grading.override(tina, chats[1], criterion_id="no_canned", level=2, reason="one stock phrase")  # (3, 2)
    services.calibration.confirm(tina, chats[2], "no_canned")                       # (1, 1)
    services.grading.override(tina, chats[3], criterion_id="no_canned", level=0, reason="only stock phrases")  # (1, 0)
    table = services.calibration.agreement(tina)
    row = next(c for c in table.criteria if c.id == "no_canned")
    # observed (3,3) (3,2) (1,1) (1,0): disagreement 2, chance 1/4 * (2 * 6 + 2 * 14) = 10, kappa = 1 - 2/10
    assert row.judged == 4 and row.kappa == pytest.approx(0.8) and row.exact == pytest.approx(0.5)
    assert row.confusion[3][2] == 1 and row.confusion[1][0] == 1 and not row.trusted  # 4 < 30 judged chats
    assert next(c for c in table.criteria if c.id == "apology").judged == 0

    # the command line prints the same figures
    assert grading_main(["agreement", "--database-url", world["settings"].database_url, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    cli_row = next(c for c in printed["criteria"] if c["id"] == "no_canned")
    assert (cli_row["judged"], cli_row["kappa"], cli_row["exact"], cli_row["trusted"]) == (4, 0.8, 0.5, False)
    assert {"id", "judged", "kappa", "exact", "trusted"} <= set(cli_row)

    # a later judgement of the same chat replaces the earlier one (the newest decides)
    services.grading.override(tina, chats[1], criterion_id="no_canned", level=3, reason="on reflection, natural")
    again = next(c for c in services.calibration.agreement(tina).criteria if c.id == "no_canned")
    assert again.judged == 4 and again.exact == pytest.approx(0.75)
    worst = services.calibration.disagreements(tina)
    assert [(d.session_id, d.grader, d.trainer) for d in worst] == [(chats[3], 1, 0)]
    assert "no_canned" in services.calibration.agreement(tina).csv()

    # trainees see none of it, and the whole history is in the audit chain
    with pytest.raises(AccessDenied):
        services.calibration.agreement(ann)
    with pytest.raises(AccessDenied):
        services.calibration.confirm(ann, chats[0], "no_canned")
    with Work(services.grading.sessions)() as uow:
        _count, problem = audit.verify(uow.db)
    assert problem is None


def test_a_trainee_disputes_and_a_trainer_rejects_then_upholds(world: dict[str, Any]) -> None:
    services, ann, bob, tina = world["services"], world["ann"], world["bob"], world["tina"]
    chat_id = chat(services, ann, RUDE)
    with pytest.raises(PracticeError, match="at least 5"):
        services.disputes.open(ann, chat_id, "no_canned", "no")
    with pytest.raises(AccessDenied):  # only the chat's own trainee disputes it
        services.disputes.open(bob, chat_id, "no_canned", "I was not rude at all")
    opened = services.disputes.open(ann, chat_id, "no_canned", "I only said it once, and kindly.")
    assert opened.status == "open" and opened.level_now == 1
    with pytest.raises(PracticeError, match="already have an open dispute"):
        services.disputes.open(ann, chat_id, "no_canned", "Again, it was kind.")
    assert [d.id for d in services.disputes.queue(tina)] == [opened.id]
    with pytest.raises(AccessDenied):
        services.disputes.queue(ann)

    rejected = services.disputes.decide(tina, opened.id, uphold=False, reason="'Calm down' escalates, said once.")
    assert rejected.status == "rejected" and "Rejected by tina" in rejected.outcome
    assert services.disputes.queue(tina) == [] and level(services, chat_id, "no_canned") == 1
    with pytest.raises(PracticeError, match="already rejected"):
        services.disputes.decide(tina, opened.id, uphold=True, level=3, reason="changed my mind")

    second = services.disputes.open(ann, chat_id, "no_canned", "Please look again at the whole chat.")
    with pytest.raises(PracticeError, match="choose 0, 1, 2 or 3"):
        services.disputes.decide(tina, second.id, uphold=True, reason="fair point")
    upheld = services.disputes.decide(tina, second.id, uphold=True, level=2, reason="Fair: it was one phrase.")
    assert upheld.status == "upheld" and upheld.level_now == 2 and "now 2/3" in upheld.outcome
    assert level(services, chat_id, "no_canned") == 2  # an override, with the reason
    stored = services.grading.latest(ann, chat_id)
    assert stored is not None and "Dispute #" in (stored.report.criterion("no_canned").override.reason or "")
    assert [d.status for d in services.disputes.for_session(ann, chat_id)] == ["rejected", "upheld"]
    with pytest.raises(AccessDenied):
        services.disputes.for_session(bob, chat_id)

    # both decisions are judgements of the grader (its level 1 against the trainer's 1, then 2)
    row = next(c for c in services.calibration.agreement(tina).criteria if c.id == "no_canned")
    assert row.judged == 1 and row.confusion[1][2] == 1
    with Work(services.grading.sessions)() as uow:
        assert audit.verify(uow.db)[1] is None
        actions = [a for (a,) in uow.db.execute(audit_actions())]
    assert actions.count("dispute.opened") == 2 and "dispute.rejected" in actions and "dispute.upheld" in actions


def audit_actions() -> Any:
    from sqlalchemy import select

    from db.models import AuditEntry

    return select(AuditEntry.action).order_by(AuditEntry.id)


def test_disputes_close_after_the_configured_days(world: dict[str, Any]) -> None:
    services, ann = world["services"], world["ann"]
    chat_id = chat(services, ann, RUDE)
    run_sql(world["settings"].database_url, "UPDATE grades SET created_at = :at",
            {"at": (services.grading.latest(SYSTEM, chat_id).created_at - timedelta(days=15))})  # type: ignore[union-attr]
    with pytest.raises(PracticeError, match="disputed for 14 days"):
        services.disputes.open(ann, chat_id, "no_canned", "It was a kind 'calm down'.")


def test_overrides_stored_before_judgements_existed_become_judgements_once(world: dict[str, Any]) -> None:
    services, ann, tina = world["services"], world["ann"], world["tina"]
    chat_id = chat(services, ann, RUDE)
    grade = services.grading.latest(SYSTEM, chat_id)
    assert grade is not None
    with Work(services.grading.sessions)() as uow:  # an override as the previous version stored it: no judgement
        uow.commit(lambda: uow.grades.add_override(grade_id=grade.id, criterion_id="no_canned", level=0,
                                                   reason="before judgements", by_user_id=tina.id,
                                                   by_username="tina"))
    assert services.calibration.agreement(tina).criteria[2].judged == 0
    restarted = build_services(world["settings"])  # start-up records it
    assert next(c for c in restarted.calibration.agreement(tina).criteria if c.id == "no_canned").judged == 1
    assert build_services(world["settings"]).calibration.record_past_overrides() == 0  # once only
    with Work(services.grading.sessions)() as uow:
        assert audit.verify(uow.db)[1] is None
    cached_engine(world["settings"].database_url).dispose()


def test_an_attempt_records_which_criteria_were_trusted_and_a_review_confirms_levels(world: dict[str, Any]) -> None:
    from tests.conftest import agent_lines
    from tests.services.test_certification import campaign, take

    services, ann, tina = world["services"], world["ann"], world["tina"]
    campaign_id = campaign(services, review_margin=30)  # every result waits for a reviewer
    attempt_id = take(services, ann, campaign_id, agent_lines("hostile"))
    view = services.certification.attempt(SYSTEM, attempt_id)
    assert view.outcome == "review" and view.trusted == ()  # nothing judged yet: nothing trusted
    assert {"acknowledge", "apology", "no_canned"} <= set(view.untrusted)
    chat_id = view.session_ids[0]
    graded = services.grading.latest(SYSTEM, chat_id)
    assert graded is not None
    applicable = [c.id for c in graded.report.criteria if c.level is not None]
    assert sorted(view.untrusted) == sorted(applicable)

    services.certification.review(tina, attempt_id, outcome="passed", reason="Handled the customer well.")
    table = services.calibration.agreement(tina)
    assert {c.id for c in table.criteria if c.judged == 1} == set(applicable)  # each level confirmed once
    assert all(c.exact == 1.0 for c in table.criteria if c.judged)


def test_a_result_an_untrusted_criterion_could_flip_goes_to_review(world: dict[str, Any]) -> None:
    from tests.conftest import agent_lines
    from tests.services.test_certification import campaign, take

    services, ann, bob = world["services"], world["ann"], world["bob"]
    probe = take(services, ann, campaign(services, review_margin=30), agent_lines("hostile"))
    score = services.certification.attempt(SYSTEM, probe).score
    assert score is not None and 20 < score <= 100
    # the same chat, with the pass mark exactly at its score and no review margin: one level less on any untrusted
    # criterion would fail it, so a person decides
    edge = campaign(services, name="Edge", pass_mark=score, review_margin=0, trainees=["bob"])
    view = services.certification.attempt(SYSTEM, take(services, bob, edge, agent_lines("hostile")))
    assert view.score == score and view.outcome == "review"
    assert any(r.startswith("untrusted criterion ") and "one level less" in r for r in view.review_reasons)
