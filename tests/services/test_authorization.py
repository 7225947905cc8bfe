"""Every role against every action, on both databases: forbidden cells are refused by the services themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from services import AccessDenied, AccountError, Actor, PracticeError, Services, build_services
from settings import Settings
from tests.conftest import agent_lines, make_people

SYSTEM = Actor.system()


@pytest.fixture(params=["team", "all"])
def world(request: pytest.FixtureRequest, settings: Settings) -> dict[str, Any]:
    services = build_services(settings.model_copy(update={"trainer_scope": request.param}))
    people = make_people(services)
    chats = {}
    for owner in ("ann", "bob"):
        view = services.practice.start(people[owner], persona_slug="hostile", seed=1).finish()
        assert view is not None
        services.practice.send(people[owner], view.id, agent_lines("hostile")[0]).finish()
        chats[owner] = view.id
    return {"services": services, "people": people, "chats": chats, "scope": request.param}


def actions(s: Services, chat: int) -> dict[str, Callable[[Actor], object]]:
    return {
        "read chat": lambda a: s.practice.get(a, chat),
        "send message": lambda a: s.practice.send(a, chat, "Could you tell me more?").finish(),
        "retry reply": lambda a: s.practice.retry(a, chat),
        "grade / report": lambda a: s.grading.grade_session(a, chat),
        "latest grade": lambda a: s.grading.latest(a, chat),
    }


def expected(role: str, me: str, owner: str, action: str, scope: str) -> bool:
    mine = me == owner
    if action in ("send message", "retry reply"):
        return mine
    if role == "admin" or mine:
        return True
    # tina is in ann's team; HR reads certification chats only, and these are practice chats
    return role == "trainer" and (scope == "all" or owner == "ann")


@pytest.mark.parametrize("me", ["ann", "bob", "tina", "root", "hazel"])
@pytest.mark.parametrize("owner", ["ann", "bob"])
def test_session_matrix(world: dict[str, Any], me: str, owner: str) -> None:
    actor = world["people"][me]
    for action, call in actions(world["services"], world["chats"][owner]).items():
        allowed = expected(actor.role, me, owner, action, world["scope"])
        if allowed:
            try:
                call(actor)
            except AccessDenied:
                pytest.fail(f"{me} ({actor.role}) was refused '{action}' on {owner}'s chat")
            except PracticeError as exc:  # allowed, but the chat's state says no (e.g. nothing to retry)
                assert "retry" in str(exc).lower() or "answered" in str(exc).lower(), exc
        else:
            with pytest.raises(AccessDenied, match=r"No chat with id"):
                call(actor)


def test_a_missing_chat_reads_like_a_forbidden_one(world: dict[str, Any]) -> None:
    services, ann = world["services"], world["people"]["ann"]
    with pytest.raises(PracticeError) as missing:
        services.practice.get(ann, 9999)
    with pytest.raises(AccessDenied) as forbidden:
        services.practice.get(ann, world["chats"]["bob"])
    assert str(missing.value).replace("9999", "N") == str(forbidden.value).replace(str(world["chats"]["bob"]), "N")


@pytest.mark.parametrize("me", ["ann", "bob", "tina", "root", "hazel"])
def test_history_matrix(world: dict[str, Any], me: str) -> None:
    services, actor = world["services"], world["people"][me]
    for trainee in ("ann", "bob"):
        allowed = me == trainee or actor.role == "admin" or (
            actor.role == "trainer" and (world["scope"] == "all" or trainee == "ann"))
        if allowed:
            assert [h.session_id for h in services.grading.history(actor, trainee)] == [world["chats"][trainee]]
        else:
            with pytest.raises(AccessDenied):
                services.grading.history(actor, trainee)


@pytest.mark.parametrize("me", ["ann", "bob", "tina", "root", "hazel"])
def test_admin_only_actions(world: dict[str, Any], me: str) -> None:
    services, actor = world["services"], world["people"][me]
    admin_calls: dict[str, Callable[[], object]] = {
        "see settings": lambda: services.admin.configuration(actor),
        "test connection": lambda: services.admin.test_connection(actor, "customer"),
        "list accounts": lambda: services.auth.users(actor),
        "create account": lambda: services.auth.create_user(actor, username=f"new-{me}", role="trainee",
                                                            password="password-9"),
        "create a trainer": lambda: services.auth.create_user(actor, username=f"coach-{me}", role="trainer",
                                                              password="password-9"),
    }
    for name, call in admin_calls.items():
        if actor.role == "admin" or (actor.role == "hr" and name == "create account"):  # HR: trainee accounts
            call()
        else:
            with pytest.raises(AccessDenied):
                call()


@pytest.mark.parametrize("me", ["ann", "bob", "tina", "root", "hazel"])
def test_account_matrix(world: dict[str, Any], me: str) -> None:
    """An admin manages every account; HR the trainees' (giving no other role); nobody else any."""
    services, people, actor = world["services"], world["people"], world["people"][me]
    for target in ("ann", "tina", "root", "hazel"):
        account = next(a for a in services.accounts.accounts(people["root"]) if a.username == target)
        allowed = actor.role == "admin" or (actor.role == "hr" and account.role == "trainee")
        calls: dict[str, Callable[[], object]] = {
            "save as it is": lambda a=account: services.accounts.update(actor, a.id, full_name=a.full_name,
                                                                        role=a.role, team=a.team),
            "unlock": lambda a=account: services.accounts.unlock(actor, a.id),
        }
        for name, call in calls.items():
            if allowed:
                call()
            else:
                with pytest.raises(AccessDenied):
                    call()
                    pytest.fail(f"{me} ({actor.role}) may '{name}' on {target}'s account")
        if allowed and actor.role == "hr":
            with pytest.raises(AccessDenied, match="Only an admin can give the trainer role"):
                services.accounts.update(actor, account.id, full_name=None, role="trainer", team=None)


@pytest.mark.parametrize("me", ["ann", "bob", "tina", "root", "hazel"])
def test_certification_matrix(world: dict[str, Any], me: str) -> None:
    """HR and admins run campaigns; trainers, HR and admins review results; trainees take them."""
    from datetime import timedelta

    from db.models import utcnow

    services, actor = world["services"], world["people"][me]
    cert = services.certification
    spec = {"name": f"Campaign of {me}", "scenarios": [("hostile", "normal")], "trainees": ["ann"],
            "opens_at": utcnow() - timedelta(hours=1), "closes_at": utcnow() + timedelta(days=1)}
    runs, reviews = actor.role in ("hr", "admin"), actor.role in ("trainer", "hr", "admin")
    if runs:
        created = cert.create_campaign(actor, spec)
        assert cert.open_campaign(actor, created.id).status == "open"
        assert cert.report(actor, created.id).assigned == 1
    else:
        with pytest.raises(AccessDenied):
            cert.create_campaign(actor, spec)
    if reviews:
        assert cert.review_queue(actor) == []
    else:
        with pytest.raises(AccessDenied):
            cert.review_queue(actor)


def test_only_the_first_account_can_be_created_without_an_admin(settings: Settings) -> None:
    services = build_services(settings)
    with pytest.raises(AccessDenied):
        services.auth.create_user(None, username="sneaky", role="admin", password="password-1")
    first = services.first_run.create_first_admin(username="first", password="password-1", token=None,
                                                  client="127.0.0.1")
    assert first.role == "admin"
    with pytest.raises(AccessDenied):
        services.auth.create_user(None, username="second", role="admin", password="password-1")
    with pytest.raises(AccountError, match="exists already"):
        services.first_run.create_first_admin(username="second", password="password-1", token=None, client="127.0.0.1")


def test_passwords_are_argon2_hashes_and_lockout_resets_on_success(settings: Settings) -> None:
    from sqlalchemy import select

    from db.models import User

    services = build_services(settings)
    services.auth.create_user(SYSTEM, username="ann", role="trainee", password="password-1")
    with services.auth.sessions() as db:
        stored = db.scalar(select(User.password_hash).where(User.username == "ann"))
    assert stored is not None and stored.startswith("$argon2id$") and "password-1" not in stored
    for _ in range(4):
        with pytest.raises(PracticeError, match="Wrong username or password"):
            services.auth.login("ann", "nope")
    assert services.auth.login("ANN", "password-1").username == "ann"  # resets the counter
    for _ in range(5):
        with pytest.raises(PracticeError, match="Wrong username or password"):
            services.auth.login("ann", "nope")
    with pytest.raises(PracticeError) as locked:  # locked now: even the right password is refused...
        services.auth.login("ann", "password-1")
    with pytest.raises(PracticeError) as unknown:
        services.auth.login("nobody", "password-1")
    assert str(locked.value) == str(unknown.value)  # ...in the words an unknown name gets: no enumeration
    assert "an admin can unlock your account" in str(locked.value)


@pytest.mark.parametrize("me", ["ann", "bob", "tina", "root", "hazel"])
def test_scenario_authoring_matrix(world: dict[str, Any], me: str) -> None:
    """Trainers and admins author scenarios; trainees are refused every authoring call."""
    services, actor = world["services"], world["people"][me]
    text = services.scenarios.version_yaml(SYSTEM, "hostile").replace("name: Derek Malone", f"name: Derek {me}")
    calls: dict[str, Callable[[], object]] = {
        "list": lambda: services.scenarios.summaries(actor),
        "versions": lambda: services.scenarios.versions(actor, "hostile"),
        "export": lambda: services.scenarios.version_yaml(actor, "hostile"),
        "check": lambda: services.scenarios.check(actor, text),
        "save draft": lambda: services.scenarios.save_draft(actor, "hostile", text),
        "read draft": lambda: services.scenarios.draft(actor, "hostile"),
        "test chat": lambda: services.scenarios.test_chat(actor, text, difficulty="normal", agent_messages=["Hi"]),
        "publish": lambda: services.scenarios.publish(actor, text, note="matrix"),
    }
    _staff_only(actor, calls, lambda: services.scenarios.draft(SYSTEM, "hostile"))


def _staff_only(actor: Actor, calls: dict[str, Callable[[], object]], draft: Callable[[], object]) -> None:
    """Each call works for trainers and admins; anyone else is refused it, and no draft was stored meanwhile."""
    for name, call in calls.items():
        if actor.role in ("trainer", "admin"):
            call()
        else:
            with pytest.raises(AccessDenied, match="Only trainers and admins"):
                call()
            assert draft() is None, name


@pytest.mark.parametrize("me", ["ann", "bob", "tina", "root", "hazel"])
def test_rubric_authoring_matrix(world: dict[str, Any], me: str) -> None:
    """Trainers and admins draft and test the rubric; only an admin publishes it (nothing stored on a refusal)."""
    services, actor = world["services"], world["people"][me]
    text = services.rubrics.version_yaml(SYSTEM).replace("pass_mark: 70", "pass_mark: 65")
    calls: dict[str, Callable[[], object]] = {
        "versions": lambda: services.rubrics.versions(actor),
        "check": lambda: services.rubrics.check(actor, text),
        "save draft": lambda: services.rubrics.save_draft(actor, text),
        "read draft": lambda: services.rubrics.draft(actor),
    }
    _staff_only(actor, calls, lambda: services.rubrics.draft(SYSTEM))
    if actor.role == "admin":
        assert services.rubrics.publish(actor, text, note="matrix").version == 2
    else:
        refusal = r"^Only an admin can publish a rubric: " if actor.role == "trainer" else r"^Only trainers and admins"
        with pytest.raises(AccessDenied, match=refusal):
            services.rubrics.publish(actor, text, note="matrix")
        assert [v.version for v in services.rubrics.versions(SYSTEM)] == [1]
