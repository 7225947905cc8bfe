"""Teams as a managed list on both databases: unique whatever the case, renames that carry accounts and campaigns
along, delete only when empty, the audit chain, the CLI, and the migration that folds existing free-text teams."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from db.audit import GENESIS, entry_hash, verify
from db.engine import dispose_engines
from db.migrate import alembic_config
from db.models import AuditEntry, utcnow
from services import AccessDenied, AccountError, Actor, Services, build_services
from settings import Settings
from tests.conftest import run_sql
from tests.db.test_cli import db_cli

SYSTEM = Actor.system()


@pytest.fixture
def world(settings: Settings) -> dict[str, Any]:
    services = build_services(settings)
    make = services.auth.create_user
    people = {"root": make(SYSTEM, username="root", role="admin", password="password-root"),
              "tina": make(SYSTEM, username="tina", role="trainer", password="password-tina"),
              "ann": make(SYSTEM, username="ann", role="trainee", password="password-ann")}
    return {"services": services, "people": people, "url": settings.database_url}


def problem(services: Services) -> str | None:
    with services.auth.sessions() as db:
        found = verify(db)[1]
    return None if found is None else str(found)


def test_names_are_unique_whatever_their_case(world: dict[str, Any]) -> None:
    services, root = world["services"], world["people"]["root"]
    assert services.teams.create(root, "  Team   North ").name == "Team North"
    for spelling in ("team north", "TEAM  NORTH", "Team North"):
        with pytest.raises(AccountError, match="There is already a team 'Team North'") as taken:
            services.teams.create(root, spelling)
        assert taken.value.field == "name"
    for bad, message in (("   ", "Type a team name"), ("x" * 61, "at most 60"), ("a\tb\x07", "control")):
        with pytest.raises(AccountError, match=message):
            services.teams.create(root, bad)
    services.teams.create(root, "alpha")
    assert services.teams.names(world["people"]["ann"]) == ["alpha", "Team North"]  # anyone may read the names
    for who in ("tina", "ann"):
        with pytest.raises(AccessDenied):
            services.teams.create(world["people"][who], "Team West")
        with pytest.raises(AccessDenied):
            services.teams.teams(world["people"][who])
    assert problem(services) is None


def test_a_rename_carries_accounts_and_campaigns_along_and_is_audited(world: dict[str, Any]) -> None:
    services, root, ann = world["services"], world["people"]["root"], world["people"]["ann"]
    north = services.teams.create(root, "Team North")
    south = services.teams.create(root, "Team South")
    services.accounts.update(root, ann.id, full_name=None, role="trainee", team="team north")
    services.accounts.update(root, world["people"]["tina"].id, full_name=None, role="trainer", team="Team North")
    spec = {"name": "Q4 certification", "scenarios": [("hostile", "normal")],
            "opens_at": utcnow() - timedelta(hours=1), "closes_at": utcnow() + timedelta(days=7),
            "teams": ["Team North"]}
    campaign = services.certification.create_campaign(SYSTEM, spec)
    with pytest.raises(AccountError, match="already a team 'Team South'"):
        services.teams.rename(root, north.id, "team SOUTH")
    renamed = services.teams.rename(root, north.id, "North Stars")
    assert (renamed.name, renamed.members, renamed.campaigns) == ("North Stars", 2, 1)
    assert services.auth.actor(ann.id).team == "North Stars"
    assert services.certification.campaigns(SYSTEM)[0].assigned_teams == ("North Stars",)
    assert services.teams.rename(root, north.id, "NORTH STARS").name == "NORTH STARS"  # a change of case only
    listed = {t.name: (t.members, t.campaigns) for t in services.teams.teams(root)}
    assert listed == {"NORTH STARS": (2, 1), "Team South": (0, 0)}
    assert problem(services) is None  # accounts, campaign and team each got their entry
    with services.auth.sessions() as db:
        actions = [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions.count("team.renamed") == 2 and actions.count("campaign.team_renamed") == 2
    assert actions.count("user.team") == 4
    assert services.certification.report(SYSTEM, campaign.id).rows[0].team == "NORTH STARS"
    with pytest.raises(AccessDenied):
        services.teams.rename(world["people"]["tina"], south.id, "Team Tina")


def test_only_an_empty_team_is_deleted_and_a_deleted_one_cannot_come_back(world: dict[str, Any]) -> None:
    services, root, ann = world["services"], world["people"]["root"], world["people"]["ann"]
    north = services.teams.create(root, "Team North")
    services.accounts.update(root, ann.id, full_name=None, role="trainee", team="Team North")
    with pytest.raises(AccountError, match="still has 1 account"):
        services.teams.delete(root, north.id)
    services.accounts.update(root, ann.id, full_name=None, role="trainee", team=None)
    services.certification.create_campaign(SYSTEM, {
        "name": "Q4 certification", "scenarios": [("hostile", "normal")], "opens_at": utcnow() - timedelta(hours=1),
        "closes_at": utcnow() + timedelta(days=7), "teams": ["Team North"]})
    with pytest.raises(AccountError, match="assigned to the campaign"):
        services.teams.delete(root, north.id)
    with pytest.raises(AccessDenied):
        services.teams.delete(world["people"]["tina"], north.id)
    empty = services.teams.create(root, "Team Empty")
    assert services.teams.delete(root, empty.id) == "Team Empty"
    assert [t.name for t in services.teams.teams(root)] == ["Team North"]
    assert problem(services) is None  # the deletion is recorded, so the missing row is expected
    with pytest.raises(AccountError, match="no team 'Team Empty'"):
        services.auth.create_user(root, username="cal", role="trainee", password="password-cal", team="Team Empty")
    run_sql(world["url"], "insert into teams (id, name, name_key, created_at) "
                          "values (:id, 'Team Empty', 'team empty', current_timestamp)", {"id": empty.id})
    assert "recorded as deleted but is back" in (problem(services) or "")


def test_admins_pick_existing_teams_while_sign_on_and_the_operator_add_them(world: dict[str, Any],
                                                                           settings: Settings) -> None:
    services, root = world["services"], world["people"]["root"]
    with pytest.raises(AccountError, match="There is no team 'Team North'"):
        services.auth.create_user(root, username="cal", role="trainee", password="password-cal", team="Team North")
    made = services.auth.create_user(SYSTEM, username="cal", role="trainee", password="password-cal",
                                     team="Team North")
    assert made.team == "Team North" and services.teams.names(root) == ["Team North"]
    sso = build_services(settings.model_copy(update={"sso_team_claim": "department"}))
    signed = sso.auth.sso_login({"email": "sam@example.com", "email_verified": True, "department": "team  NORTH"})
    assert signed.team == "Team North"  # the provider's spelling folds into the existing team
    other = sso.auth.sso_login({"email": "kim@example.com", "email_verified": True, "department": "Sales"})
    assert other.team == "Sales" and services.teams.names(root) == ["Sales", "Team North"]
    services.accounts.set_disabled(root, signed.id, True)
    with pytest.raises(AccessDenied, match="disabled"):
        sso.auth.sso_login({"email": "sam@example.com", "email_verified": True, "department": "Sales"})
    assert problem(services) is None


def test_cli_create_user_needs_an_existing_team(database_url: str) -> None:
    made = db_cli("create-team", "--name", "Team North", "--database-url", database_url)
    assert made.returncode == 0 and "created team 'Team North'" in made.stderr
    again = db_cli("create-team", "--name", "team north", "--database-url", database_url)
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1
    assert "already a team 'Team North'" in again.stderr
    missing = db_cli("create-user", "--username", "ann", "--role", "trainee", "--team", "Team Nort",
                     "--password-stdin", "--database-url", database_url, stdin="a long password\n")
    assert missing.returncode == 2 and missing.stderr.strip().splitlines() == [
        "error: There is no team 'Team Nort' (add it with: python -m db create-team --name TEAM)"]
    ok = db_cli("create-user", "--username", "ann", "--role", "trainee", "--team", "TEAM north", "--full-name",
                "Ann Example", "--password-stdin", "--database-url", database_url, stdin="a long password\n")
    assert ok.returncode == 0, ok.stderr
    with create_engine(database_url).connect() as conn:
        assert conn.execute(text("select team, full_name from users")).one() == ("Team North", "Ann Example")
    audit = db_cli("verify-audit", "--database-url", database_url)
    assert audit.returncode == 0, audit.stderr


def test_the_migration_folds_free_text_teams_and_keeps_the_audit_chain(database_url: str) -> None:
    """Accounts and a campaign made before 0013 with "Team North", "team north" and "Team  North": one team."""
    if database_url.startswith("sqlite"):
        Path(make_url(database_url).database or "").parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(database_url)
    config = alembic_config(database_url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0012")
    previous = GENESIS
    with engine.begin() as conn:
        def record(subject_type: str, subject_id: int, fingerprint: dict[str, Any]) -> None:
            nonlocal previous
            entry = AuditEntry(created_at=utcnow(), actor="system", action=f"{subject_type}.created",
                               subject_type=subject_type, subject_id=subject_id,
                               payload=json.dumps({"fingerprint": fingerprint}, sort_keys=True), prev_hash=previous)
            entry.hash = previous = entry_hash(entry)
            conn.execute(insert(AuditEntry).values(
                created_at=entry.created_at, actor=entry.actor, action=entry.action, subject_type=subject_type,
                subject_id=subject_id, payload=entry.payload, prev_hash=entry.prev_hash, hash=entry.hash))

        teams = {1: "Team North", 2: "team north", 3: "Team North", 4: "Team  North", 5: "South", 6: None}
        for user_id, team in teams.items():
            conn.execute(text("insert into users (id, username, role, team, password_hash, failed_logins, created_at)"
                              " values (:id, :name, 'trainee', :team, 'x', 0, current_timestamp)"),
                         {"id": user_id, "name": f"user{user_id}", "team": team})
            record("user", user_id, {"username": f"user{user_id}", "role": "trainee", "team": team})
        opens, closes = utcnow(), utcnow() + timedelta(days=7)
        conn.execute(text("insert into campaigns (id, name, status, pass_mark, criterion_minimums, attempts_allowed, "
                          "time_limit_minutes, opens_at, closes_at, hide_aids, review_margin, created_by, created_at) "
                          "values (1, 'Q4 certification', 'draft', 70, '{}', 1, 30, :opens, :closes, :yes, 5, "
                          "'root', :opens)"), {"opens": opens, "closes": closes, "yes": True})
        conn.execute(text("insert into campaign_assignments (campaign_id, user_id, team) values (1, null, "
                          "'team north'), (1, 5, null)"))
        record("campaign", 1, {"name": "Q4 certification", "status": "draft", "pass_mark": 70,
                               "criterion_minimums": "{}", "attempts_allowed": 1, "time_limit_minutes": 30,
                               "opens_at": opens.isoformat(), "closes_at": closes.isoformat(), "hide_aids": True,
                               "draw_count": None, "review_margin": 5, "rubric_version": None, "scenarios": [],
                               "assignments": [[0, "team north"], [5, ""]]})
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    dispose_engines(database_url)
    with engine.connect() as conn:
        assert conn.execute(text("select name, name_key from teams order by name")).all() == [
            ("South", "south"), ("Team North", "team north")]
        assert dict(conn.execute(text("select id, team from users")).all()) == {
            1: "Team North", 2: "Team North", 3: "Team North", 4: "Team North", 5: "South", 6: None}
        assert conn.execute(text("select team from campaign_assignments where user_id is null")).scalar() \
            == "Team North"
    engine.dispose()
    audit = db_cli("verify-audit", "--database-url", database_url)
    assert audit.returncode == 0, audit.stderr
