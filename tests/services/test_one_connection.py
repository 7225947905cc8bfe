"""Every use case completes with ONE pooled connection per process.

A request that holds a connection and asks the pool for a second one can deadlock under load: twenty such
requests take every connection and each waits for one more. That happened in CI (the persona catalog refreshed
through the services' own pool while a chat held a connection) and ended in pool timeouts. With a pool of one
connection and no overflow, any such nesting fails here at once, in a single thread, on both databases.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from db.models import utcnow
from services import DatabaseUnavailable, ReviewFilters, build_services
from settings import Settings
from tests.conftest import agent_lines, make_people, run_sql
from tests.services.test_certification import campaign, take


@pytest.fixture
def single(tmp_path: Any, database_url: str) -> Any:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, db_pool_size=1,
                        db_pool_overflow=0, db_pool_timeout=2)
    services = build_services(settings)
    services.practice.catalog.refresh_seconds = 0  # every persona lookup goes to the database
    return services


def test_practice_grading_review_and_certification_need_one_connection(single: Any) -> None:
    people = make_people(single)
    ann, tina = people["ann"], people["tina"]
    opening = single.practice.start(ann, persona_slug="hostile", difficulty="normal", seed=3)
    session = opening.finish()
    assert session is not None and opening.error is None
    for line in agent_lines("hostile")[:3]:
        turn = single.practice.send(ann, session.id, line)
        turn.finish()
        assert turn.error is None
    grade = single.practice.end_and_grade(ann, session.id)
    assert grade is not None and single.grading.latest(tina, session.id) is not None
    assert single.review.browse(tina, ReviewFilters()).total == 1
    assert single.analytics.trainee(ann).per_week and single.analytics.team(tina, "red").weakest
    assert single.scenarios.summaries(tina)
    attempt_id = take(single, ann, campaign(single), agent_lines("hostile"))
    assert not single.certification.attempt(ann, attempt_id, holder="tab-1").active


def test_an_exhausted_pool_is_a_plain_busy_message(single: Any) -> None:
    people = make_people(single)
    engine = single.practice.sessions.kw["bind"]
    held = engine.connect()  # the only connection
    try:
        with pytest.raises(DatabaseUnavailable, match="The database is busy"):
            single.practice.unfinished(people["ann"])
    finally:
        held.close()
    assert single.practice.unfinished(people["ann"]) == []


def test_staff_work_needs_one_connection(single: Any) -> None:
    people = make_people(single)
    ann, tina, root = people["ann"], people["tina"], people["root"]
    assert single.auth.login("ann", "password-1").username == "ann"
    session = single.practice.start(ann, persona_slug="hostile", seed=3).finish()
    single.practice.send(ann, session.id, agent_lines("hostile")[0]).finish()
    grade = single.practice.end_and_grade(ann, session.id)
    criterion = grade.report.criteria[0].id
    single.grading.override(tina, session.id, criterion_id=criterion, level=1, reason="The apology came late.")
    single.review.comment(tina, session.id, turn=2, body="Name the problem first.")
    assert [n.count for n in single.review.new_comments(ann)] == [1]
    assert single.review.mark_comments_seen(ann, session.id) == 1
    single.review.mark_exemplar(tina, session.id, exemplar=True, note="calm")
    assert str(session.id) in single.review.export(tina, [session.id], "csv")
    text = single.scenarios.version_yaml(tina, "hostile")
    single.scenarios.save_draft(tina, "hostile", text.replace("{when: apology, delta: -1}",
                                                              "{when: apology, delta: -4}"))
    assert single.scenarios.publish(tina, single.scenarios.draft(tina, "hostile") or "").version == 2
    campaign_id = campaign(single, review_margin=0)
    attempt = single.certification.start_attempt(ann, campaign_id, holder="tab-1")
    single.certification.send(ann, attempt.id, "I'm so sorry. What is your order number?", holder="tab-1").finish()
    assert single.certification.abandon(ann, attempt.id, holder="tab-1").outcome == "failed"
    assert single.certification.report(root, campaign_id).started == 1
    assert "ann" in single.certification.report_csv(root, campaign_id)
    assert single.certification.review_queue(tina) == []
    left = single.certification.start_attempt(ann, campaign(single, name="Left open"), holder="tab-1")
    single.certification.send(ann, left.id, "I'm so sorry. What is your order number?", holder="tab-1").finish()
    run_sql(single.certification.settings.database_url, "update attempts set deadline = :t where id = :i",
            {"t": utcnow() - timedelta(seconds=1), "i": left.id})
    assert single.certification.expire_overdue(root) == 1  # ends (and grades) the overdue attempt
    assert single.certification.review_queue(root) == []
    assert single.certification.attempt(root, left.id).status == "expired"
