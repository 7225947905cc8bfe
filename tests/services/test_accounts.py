"""Account management on both databases: edit, disable, reset a password, the last-admin guard, the audit chain,
and the full name on certificates (issue 11)."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from db.audit import verify
from db.models import AuditEntry
from services import AccessDenied, AccountError, Actor, PracticeError, Services, build_services
from settings import Settings
from tests.conftest import agent_lines, run_sql

SYSTEM = Actor.system()


@pytest.fixture
def world(settings: Settings) -> dict[str, Any]:
    services = build_services(settings)
    make = services.auth.create_user
    services.teams.create(SYSTEM, "Team North")
    services.teams.create(SYSTEM, "Team South")
    people = {"root": make(SYSTEM, username="root", role="admin", password="password-root"),
              "tina": make(SYSTEM, username="tina", role="trainer", password="password-tina", team="Team North"),
              "ann": make(SYSTEM, username="ann", role="trainee", password="password-ann", team="Team North")}
    return {"services": services, "people": people, "url": settings.database_url}


def audit_actions(services: Services, subject_type: str, subject_id: int) -> list[tuple[str, str]]:
    with services.auth.sessions() as db:
        return [(e.action, e.actor) for e in db.scalars(select(AuditEntry).where(
            AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id).order_by(AuditEntry.id))]


def chain_intact(services: Services) -> None:
    with services.auth.sessions() as db:
        count, problem = verify(db)
    assert problem is None, str(problem)
    assert count > 0


def test_an_admin_changes_full_name_role_and_team_and_each_change_is_audited(world: dict[str, Any]) -> None:
    services, people = world["services"], world["people"]
    root, ann = people["root"], people["ann"]
    done = services.accounts.update(root, ann.id, full_name="  Ann   Example ", role="trainer", team="team SOUTH")
    assert (done.full_name, done.role, done.team) == ("Ann Example", "trainer", "Team South")  # canonical team
    again = services.accounts.update(root, ann.id, full_name="Ann Example", role="trainer", team="Team South")
    assert again == done  # nothing changed: nothing written
    listed = {a.username: a for a in services.accounts.accounts(root)}
    assert (listed["ann"].full_name, listed["ann"].role, listed["ann"].team) == ("Ann Example", "trainer",
                                                                                   "Team South")
    assert audit_actions(services, "user", ann.id) == [("user.created", "system"), ("user.role", "root")]
    services.accounts.update(root, ann.id, full_name="Ann B. Example", role="trainer", team=None)
    assert audit_actions(services, "user", ann.id)[-1] == ("user.updated", "root")
    chain_intact(services)

    with pytest.raises(AccountError, match="There is no team 'Team East'") as missing:
        services.accounts.update(root, ann.id, full_name=None, role="trainee", team="Team East")
    assert missing.value.field == "team"
    with pytest.raises(AccountError, match="Unknown role") as bad_role:
        services.accounts.update(root, ann.id, full_name=None, role="boss", team=None)
    assert bad_role.value.field == "role"
    with pytest.raises(AccountError, match="at most 80") as long_name:
        services.accounts.update(root, ann.id, full_name="x" * 81, role="trainee", team=None)
    assert long_name.value.field == "full_name"
    for who in ("tina", "ann"):  # only admins
        with pytest.raises(AccessDenied):
            services.accounts.update(people[who], ann.id, full_name=None, role="admin", team=None)
        with pytest.raises(AccessDenied):
            services.accounts.accounts(people[who])
    assert services.auth.actor(ann.id).role == "trainer"

    run_sql(world["url"], "update users set full_name = 'Someone Else' where username = 'ann'")
    with services.auth.sessions() as db:
        _, problem = verify(db)
    assert problem is not None and "full_name is 'Someone Else', recorded 'Ann B. Example'" in str(problem)


def test_create_user_keeps_team_spelling_and_refuses_what_is_wrong_by_field(world: dict[str, Any]) -> None:
    services, root = world["services"], world["people"]["root"]
    made = services.auth.create_user(root, username="bob", role="trainee", password="password-bob",
                                     team="  team   north ", full_name="Bob Builder")
    assert made.team == "Team North"
    cases = [({"username": "X"}, "username", "Usernames are 3-40 characters"),
             ({"username": "bob"}, "username", "The username 'bob' is taken"),
             ({"password": "short"}, "password", "at least 8 characters"),
             ({"team": "Nowhere"}, "team", "There is no team 'Nowhere'"),
             ({"full_name": "a\x00b"}, "full_name", "control characters")]
    for change, field, message in cases:
        values: dict[str, Any] = {"username": "cal", "role": "trainee", "password": "password-cal", **change}
        with pytest.raises(AccountError, match=message) as refused:
            services.auth.create_user(root, **values)
        assert refused.value.field == field
    assert "cal" not in {a.username for a in services.accounts.accounts(root)}
    with pytest.raises(AccessDenied):
        services.auth.create_user(world["people"]["tina"], username="cal", role="trainee", password="password-cal")


def test_a_disabled_account_cannot_log_in_and_is_logged_out(world: dict[str, Any]) -> None:
    services, root, ann = world["services"], world["people"]["root"], world["people"]["ann"]
    assert services.auth.login("ann", "password-ann").id == ann.id
    done = services.accounts.set_disabled(root, ann.id, True)
    assert done.disabled and done.status == "disabled"
    assert services.auth.actor(ann.id) is None  # current_actor() re-reads the user each run: logged out
    with pytest.raises(AccessDenied, match="This account is disabled"):
        services.auth.login("ann", "password-ann")
    with pytest.raises(PracticeError, match="Wrong username or password"):  # nothing said without the password
        services.auth.login("ann", "wrong-password")
    assert audit_actions(services, "user", ann.id)[-1] == ("user.disabled", "root")
    chain_intact(services)
    services.accounts.set_disabled(root, ann.id, False)
    assert services.auth.login("ann", "password-ann").id == ann.id
    assert audit_actions(services, "user", ann.id)[-1] == ("user.enabled", "root")
    with pytest.raises(AccountError, match="cannot disable your own account"):
        services.accounts.set_disabled(root, root.id, True)
    with pytest.raises(AccessDenied):
        services.accounts.set_disabled(world["people"]["tina"], ann.id, True)
    chain_intact(services)


def test_disabling_signs_out_saved_logins(world: dict[str, Any]) -> None:
    services, root, ann = world["services"], world["people"]["root"], world["people"]["ann"]
    with services.auth.sessions() as db:
        db.execute(text("insert into login_sessions (user_id, created_at, expires_at) "
                        "values (:u, current_timestamp, current_timestamp)"), {"u": ann.id})
        db.commit()
    services.accounts.set_disabled(root, ann.id, True)
    with services.auth.sessions() as db:
        assert db.execute(text("select revoked_reason from login_sessions")).scalar_one() == "admin"


def test_reset_password(world: dict[str, Any]) -> None:
    services, root, ann = world["services"], world["people"]["root"], world["people"]["ann"]
    for _ in range(5):
        with pytest.raises(PracticeError):
            services.auth.login("ann", "not-her-password")
    with pytest.raises(PracticeError, match="Wrong username or password"):  # locked: the answer says nothing more
        services.auth.login("ann", "password-ann")
    assert {a.username: a.status for a in services.accounts.accounts(root)}["ann"] == "locked"
    with pytest.raises(AccountError, match="at least 8") as short:
        services.accounts.reset_password(root, ann.id, "short")
    assert short.value.field == "password"
    services.accounts.reset_password(root, ann.id, "a-new-password")
    assert services.auth.login("ann", "a-new-password").id == ann.id  # the lockout is lifted too
    with pytest.raises(PracticeError, match="Wrong username or password"):
        services.auth.login("ann", "password-ann")
    assert audit_actions(services, "user", ann.id)[-1] == ("user.password_reset", "root")
    with pytest.raises(AccessDenied):
        services.accounts.reset_password(world["people"]["tina"], ann.id, "tina-was-here")
    sso = services.auth.sso_login({"email": "sam@example.com", "email_verified": True})
    with pytest.raises(AccountError, match="single sign-on"):
        services.accounts.reset_password(root, sso.id, "a-new-password")
    chain_intact(services)


def test_the_last_admin_can_be_neither_demoted_nor_disabled(world: dict[str, Any]) -> None:
    services, root = world["services"], world["people"]["root"]
    with pytest.raises(AccountError, match="'root' is the last admin") as demote:
        services.accounts.update(root, root.id, full_name=None, role="trainer", team=None)
    assert demote.value.field == "role"
    ada = services.auth.create_user(root, username="ada", role="admin", password="password-ada")
    services.accounts.set_disabled(ada, root.id, True)  # another admin may disable root
    with pytest.raises(AccountError, match="'ada' is the last admin"):  # a disabled admin does not count
        services.accounts.update(ada, ada.id, full_name=None, role="trainee", team=None)
    with pytest.raises(AccountError, match="'ada' is the last admin"):
        services.accounts.set_disabled(SYSTEM, ada.id, True)
    services.accounts.set_disabled(ada, root.id, False)
    services.accounts.update(ada, ada.id, full_name=None, role="trainee", team=None)  # root remains
    admins = [a.username for a in services.accounts.accounts(root) if a.role == "admin" and not a.disabled]
    assert admins == ["root"]
    chain_intact(services)


def test_two_admins_demoting_each_other_at_once_leave_one_admin(world: dict[str, Any]) -> None:
    services, root = world["services"], world["people"]["root"]
    ada = services.auth.create_user(root, username="ada", role="admin", password="password-ada")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(actor: Actor, target: Actor) -> None:
        barrier.wait()
        try:
            services.accounts.update(actor, target.id, full_name=None, role="trainer", team=None)
            outcomes.append("done")
        except PracticeError as exc:  # the last-admin guard, or a busy database said plainly
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=demote, args=pair) for pair in ((root, ada), (ada, root))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes.count("done") <= 1 and len(outcomes) == 2
    with create_engine(world["url"]).connect() as conn:
        admins = conn.execute(text("select count(*) from users where role = 'admin' and not disabled")).scalar()
    assert admins == 1 if "done" in outcomes else admins == 2
    chain_intact(services)


def test_the_full_name_is_printed_on_the_certificate(world: dict[str, Any]) -> None:
    from pypdf import PdfReader

    from tests.services.test_certification import campaign, take

    services, root, ann = world["services"], world["people"]["root"], world["people"]["ann"]
    services.accounts.update(root, ann.id, full_name="Ann Ängström-Example", role="trainee", team="Team North")
    campaign_id = campaign(services, review_margin=0)
    attempt_id = take(services, ann, campaign_id, agent_lines("hostile"))
    view = services.certification.attempt(ann, attempt_id)
    assert view.outcome == "passed" and view.certificate
    _, pdf = services.certification.certificate_pdf(ann, attempt_id)
    assert "Ann Ängström-Example" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    check = services.certification.verify_certificate(view.certificate)
    assert check.valid and check.holder == "Ann Ängström-Example"
    with services.auth.sessions() as db:
        payload = db.scalar(select(AuditEntry.payload).where(AuditEntry.action == "certificate.issued"))
    assert json.loads(payload or "{}")["fingerprint"]["holder"] == "Ann Ängström-Example"


def test_account_and_team_use_cases_need_one_connection(tmp_path: Any, database_url: str) -> None:
    """As tests/services/test_one_connection.py: a pool of one connection, no overflow, fails any nesting."""
    services = build_services(Settings(data_dir=tmp_path / "data", database_url=database_url, db_pool_size=1,
                                       db_pool_overflow=0, db_pool_timeout=2))
    root = services.first_run.create_first_admin(username="root", password="password-root", token=None,
                                                 client="127.0.0.1")
    north = services.teams.create(root, "Team North")
    ann = services.auth.create_user(SYSTEM, username="ann", role="trainee", password="password-ann", team="New")
    services.accounts.update(root, ann.id, full_name="Ann", role="trainer", team="team north")
    services.accounts.set_disabled(root, ann.id, True)
    services.accounts.reset_password(root, ann.id, "another-password")
    services.teams.rename(root, north.id, "Team Polaris")
    assert services.teams.delete(root, services.teams.teams(root)[0].id) == "New"
    assert services.teams.names(root) == ["Team Polaris"]
    assert [a.team for a in services.accounts.accounts(root)] == ["Team Polaris", None]
