"""The HR role on both databases: campaigns, certification review, certificates, HR's reports, and trainee accounts
and teams; never the rubric, the settings, scenarios, calibration, practice chats or staff accounts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from db.models import utcnow
from services import AccessDenied, Actor, build_services
from settings import Settings, production_warnings
from tests.conftest import agent_lines, make_people
from tests.services.test_certification import take

SYSTEM = Actor.system()


@pytest.fixture
def world(settings: Settings) -> dict[str, Any]:
    services = build_services(settings)
    return {"services": services, "people": make_people(services), "settings": settings}


def _spec(**changes: Any) -> dict[str, Any]:
    return {"name": "Q4 certification", "scenarios": [("hostile", "normal")], "pass_mark": 70,
            "opens_at": utcnow() - timedelta(hours=1), "closes_at": utcnow() + timedelta(days=7),
            "trainees": ["ann"], "review_margin": 30, **changes}


def test_hr_runs_a_campaign_reviews_its_results_and_hands_out_certificates(world: dict[str, Any]) -> None:
    services, people = world["services"], world["people"]
    hazel, ann, tina = people["hazel"], people["ann"], people["tina"]
    cert = services.certification
    created = cert.create_campaign(hazel, _spec())
    cert.open_campaign(hazel, created.id)
    assert [c.name for c in cert.campaigns(hazel)] == ["Q4 certification"]
    attempt_id = take(services, ann, created.id, agent_lines("hostile"))
    assert cert.expire_overdue(hazel, created.id) == 0
    [waiting] = cert.review_queue(hazel)  # every trainee's results, whatever the team (ann is in red, hazel in none)
    assert waiting.id == attempt_id and waiting.outcome == "review"
    chat = waiting.session_ids[0]
    assert services.practice.get(hazel, chat).messages  # the certification chat a reviewer must read
    assert services.grading.report_for(hazel, chat).report.criteria
    assert not cert.confirms_levels(hazel) and cert.confirms_levels(tina)
    decided = cert.review(hazel, attempt_id, outcome="passed", reason="Handled the customer well throughout.")
    assert decided.outcome == "passed" and decided.certificate and decided.reviews[0].by == "hazel"
    # HR is no grading expert: the decision confirms no criterion level (the grader's agreement is trainers' word)
    assert all(c.judged == 0 for c in services.calibration.agreement(tina).criteria)
    assert cert.certificate_pdf(hazel, attempt_id)[1].startswith(b"%PDF")
    report = cert.report(hazel, created.id)
    assert report.passed == 1 and report.rows[0].certificate == decided.certificate
    assert decided.certificate in cert.report_csv(hazel, created.id)
    cert.close_campaign(hazel, created.id)


def test_hr_reads_certification_chats_but_no_practice_chat_and_grades_nothing(world: dict[str, Any]) -> None:
    services, people = world["services"], world["people"]
    hazel, ann = people["hazel"], people["ann"]
    practice = services.practice.start(ann, persona_slug="hostile", seed=1).finish()
    assert practice is not None
    services.practice.send(ann, practice.id, agent_lines("hostile")[0]).finish()
    services.grading.grade_session(ann, practice.id)
    created = services.certification.create_campaign(hazel, _spec())
    services.certification.open_campaign(hazel, created.id)
    chat = services.certification.attempt(ann, take(services, ann, created.id, agent_lines("hostile"))).session_ids[0]
    refused: dict[str, Callable[[], object]] = {
        "read a practice chat": lambda: services.practice.get(hazel, practice.id),
        "its report": lambda: services.grading.report_for(hazel, practice.id),
        "a trainee's progress": lambda: services.grading.history(hazel, "ann"),
        "override a level": lambda: services.grading.override(hazel, chat, criterion_id="apology", level=0,
                                                              reason="HR thinks so."),
        "confirm a level": lambda: services.calibration.confirm(hazel, chat, "apology"),
        "regrade": lambda: services.grading.grade_session(hazel, chat),
        "comment": lambda: services.review.comment(hazel, chat, turn=1, body="A note from HR."),
        "disputes queue": lambda: services.disputes.queue(hazel),
    }
    for what, call in refused.items():
        with pytest.raises(AccessDenied):
            call()
            pytest.fail(f"HR was allowed to {what}")


def test_hr_has_no_rubric_settings_scenarios_calibration_or_every_account(world: dict[str, Any]) -> None:
    services, hazel = world["services"], world["people"]["hazel"]
    text = services.rubrics.version_yaml(SYSTEM).replace("pass_mark: 70", "pass_mark: 65")
    refused: dict[str, Callable[[], object]] = {
        "rubric draft": lambda: services.rubrics.save_draft(hazel, text),
        "rubric publish": lambda: services.rubrics.publish(hazel, text, note="HR"),
        "settings": lambda: services.admin.configuration(hazel),
        "model test": lambda: services.admin.test_connection(hazel, "customer"),
        "scenarios": lambda: services.scenarios.summaries(hazel),
        "calibration": lambda: services.calibration.agreement(hazel),
        "every account": lambda: services.auth.users(hazel),
        "sign out everywhere": lambda: services.login_sessions.revoke_user(hazel, 1),
    }
    for what, call in refused.items():
        with pytest.raises(AccessDenied):
            call()
            pytest.fail(f"HR was allowed: {what}")
    assert [v.version for v in services.rubrics.versions(SYSTEM)] == [1]


def test_hr_manages_trainee_accounts_and_teams_but_no_staff_account(world: dict[str, Any]) -> None:
    services, people = world["services"], world["people"]
    hazel, ann, tina, root = people["hazel"], people["ann"], people["tina"], people["root"]
    accounts = services.accounts
    made = services.auth.create_user(hazel, username="carl", role="trainee", password="carl-password", team="red")
    assert (made.role, made.team) == ("trainee", "red")
    assert {a.username for a in accounts.accounts(hazel)} == {"ann", "bob", "carl"}  # trainees only
    assert accounts.roles(hazel) == ("trainee",) and "admin" in accounts.roles(root)
    team = services.teams.create(hazel, "Green")
    assert accounts.update(hazel, ann.id or 0, full_name="Ann Example", role="trainee", team="Green").team == "Green"
    assert accounts.reset_password(hazel, ann.id or 0, "a-new-password").username == "ann"
    assert services.auth.login("ann", "a-new-password").id == ann.id
    assert accounts.set_disabled(hazel, made.id or 0, True).disabled
    assert accounts.set_disabled(hazel, made.id or 0, False).disabled is False
    services.teams.rename(hazel, team.id, "Green team")
    before = [(a.username, a.role, a.team, a.full_name, a.disabled) for a in accounts.accounts(root)]
    refused: dict[str, Callable[[], object]] = {
        "create a trainer": lambda: services.auth.create_user(hazel, username="tom", role="trainer",
                                                              password="tom-password"),
        "create HR": lambda: services.auth.create_user(hazel, username="hank", role="hr", password="hank-password"),
        "create an admin": lambda: services.auth.create_user(hazel, username="ada", role="admin",
                                                             password="ada-password"),
        "promote a trainee": lambda: accounts.update(hazel, ann.id or 0, full_name="Ann Example", role="trainer",
                                                     team="Green team"),
        "change a trainer": lambda: accounts.update(hazel, tina.id or 0, full_name="Tina", role="trainer",
                                                    team="blue"),
        "demote an admin": lambda: accounts.update(hazel, root.id or 0, full_name=None, role="trainee", team=None),
        "change HR itself": lambda: accounts.update(hazel, hazel.id or 0, full_name=None, role="admin", team=None),
        "reset an admin's password": lambda: accounts.reset_password(hazel, root.id or 0, "pwned-password"),
        "disable a trainer": lambda: accounts.set_disabled(hazel, tina.id or 0, True),
        "unlock an admin": lambda: accounts.unlock(hazel, root.id or 0),
    }
    for what, call in refused.items():
        with pytest.raises(AccessDenied, match="Only an admin"):
            call()
            pytest.fail(f"HR was allowed to {what}")
    assert [(a.username, a.role, a.team, a.full_name, a.disabled) for a in accounts.accounts(root)] == before
    assert services.auth.login("root", "password-4").id == root.id
    with pytest.raises(AccessDenied, match=r"^Only HR and admins can list accounts\.$"):
        accounts.accounts(ann)


def test_single_sign_on_gives_the_hr_role(settings: Settings) -> None:
    sso = settings.model_copy(update={"sso_admins": ["boss@corp.example"], "sso_hr": ["People-Team"],
                                      "sso_trainers": ["trainers"], "sso_domains": ["corp.example"]})
    auth = build_services(sso).auth
    assert auth.sso_login({"email": "hazel@corp.example", "groups": ["people-team"]}).role == "hr"
    assert auth.sso_login({"email": "boss@corp.example", "groups": ["people-team"]}).role == "admin"
    assert auth.sso_login({"email": "ann@corp.example", "groups": ["staff"]}).role == "trainee"
    assert auth.sso_login({"email": "hazel@corp.example", "groups": []}).role == "trainee"  # left the group
    production = Settings(environment="production", session_secret="k" * 40, public_url="https://p.corp.example",
                          sso_domains=["corp.example"], sso_hr=["hazel@gmail.com"])
    [warned] = production_warnings(production, sso=True)
    assert warned.startswith("SSO_HR names hazel@gmail.com, outside SSO_DOMAINS")


def test_a_refusal_names_everyone_who_may() -> None:
    from services.permissions import Permission, require

    ann = Actor(1, "ann", "trainee")
    with pytest.raises(AccessDenied, match=r"^Only HR and admins can manage certification campaigns\.$"):
        require(ann, Permission.MANAGE_CAMPAIGNS)
    with pytest.raises(AccessDenied, match=r"^Only trainers, HR and admins can review certification results\.$"):
        require(ann, Permission.REVIEW_CERTIFICATION)


def test_hr_accounts_from_the_command_line(database_url: str) -> None:
    from tests.db.test_cli import db_cli

    made = db_cli("create-user", "--username", "hazel", "--role", "hr", "--password-stdin", "--database-url",
                  database_url, stdin="a long password\n")
    assert made.returncode == 0 and "created hr 'hazel'" in made.stderr, made.stderr
    boss = db_cli("create-user", "--username", "boss", "--role", "boss", "--password-stdin", "--database-url",
                  database_url, stdin="a long password\n")
    assert boss.returncode == 2 and "invalid choice: 'boss'" in boss.stderr  # the rest of the contract stands
