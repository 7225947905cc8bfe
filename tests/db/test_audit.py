"""The audit hash chain on both databases: intact after normal use, and every kind of tampering is named."""

from __future__ import annotations

import threading

import pytest

from services import Actor, Services, build_services
from settings import Settings
from tests.conftest import agent_lines, run_sql
from tests.db.test_cli import db_cli

SYSTEM = Actor.system()


@pytest.fixture
def graded(settings: Settings) -> Services:
    """Two trainees, one trainer; two graded chats, one override."""
    services = build_services(settings)
    ann = services.auth.create_user(SYSTEM, username="ann", role="trainee", password="password-1")
    tina = services.auth.create_user(SYSTEM, username="tina", role="trainer", password="password-2")
    for line in agent_lines("hostile")[:3], agent_lines("rude")[:1]:
        view = services.practice.start(ann, persona_slug="hostile", seed=1).finish()
        assert view is not None
        for said in line:
            services.practice.send(ann, view.id, said).finish()
        services.practice.end_and_grade(ann, view.id)
    services.grading.override(tina, 1, criterion_id="apology", level=3, reason="The apology in turn 1 was sincere.")
    return services


def verify(url: str) -> tuple[int, str]:
    result = db_cli("verify-audit", "--database-url", url)
    return result.returncode, result.stderr.strip()


def test_normal_use_leaves_an_intact_chain(graded: Services, database_url: str) -> None:
    code, message = verify(database_url)
    assert code == 0, message
    assert "audit chain intact: 7 rows" in message  # rubric v1, 2 users, 2 grades, 1 override and its judgement


def test_a_score_changed_behind_the_apps_back_is_caught(graded: Services, database_url: str) -> None:
    run_sql(database_url, "UPDATE grades SET overall = 99 WHERE id = 1")
    code, message = verify(database_url)
    assert code == 1
    assert message.startswith("audit check FAILED: audit row 4: grade 1 was changed outside the app")
    assert "overall is 99" in message


def test_a_role_raised_behind_the_apps_back_is_caught(graded: Services, database_url: str) -> None:
    run_sql(database_url, "UPDATE users SET role = 'admin' WHERE username = 'ann'")
    code, message = verify(database_url)
    assert code == 1 and "user 1 was changed outside the app: role is 'admin', recorded 'trainee'" in message


def test_edited_deleted_and_unrecorded_rows_are_named(graded: Services, database_url: str) -> None:
    run_sql(database_url, "UPDATE audit_log SET actor = 'someone-else' WHERE id = 5")
    assert verify(database_url) == (1, "audit check FAILED: audit row 5: its content does not match its hash "
                                       "(grade.added grade 2 was edited)")
    run_sql(database_url, "DELETE FROM audit_log WHERE id = 5")
    code, message = verify(database_url)
    assert code == 1 and message.startswith("audit check FAILED: audit row 6: does not follow the previous row")


def test_a_grade_inserted_directly_has_no_entry(graded: Services, database_url: str) -> None:
    run_sql(database_url, "INSERT INTO grades (session_id, created_at, rubric_version, grader_version, judge_status, "
                      "status, overall, passed, flags_count, report_json) SELECT session_id, created_at, "
                      "rubric_version, grader_version, judge_status, status, 100, true, 0, report_json FROM grades "
                      "WHERE id = 1")
    assert verify(database_url) == (1, "audit check FAILED: grade 3 has no audit entry (written behind the "
                                       "app's back)")


def test_concurrent_writers_keep_one_chain(graded: Services, database_url: str) -> None:
    """Eight threads regrade at once: each append lands on the chain end (conflicts are retried)."""
    errors: list[BaseException] = []

    def regrade() -> None:
        try:
            for _ in range(3):
                graded.grading.grade_session(SYSTEM, 1)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=regrade) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    code, message = verify(database_url)
    assert code == 0 and "31 rows" in message, message  # 7 before (see above) and 24 grades


def test_regrading_with_the_same_versions_gives_the_same_score(graded: Services) -> None:
    first = graded.grading.latest(SYSTEM, 2)
    again = graded.grading.grade_session(SYSTEM, 2)
    assert first is not None and again.id != first.id  # a new row, never an overwrite
    assert again.report.overall == first.report.overall
    assert [c.level for c in again.report.criteria] == [c.level for c in first.report.criteria]
