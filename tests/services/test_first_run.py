"""The first admin: a one-time setup token outside development, on both databases."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from db.models import AuditEntry, User, utcnow
from db.models_access import SetupToken
from services import AccountError, RateLimited, Services, SetupRefused, build_services
from settings import Settings
from tests.conftest import room_in_window
from tests.db.test_cli import db_cli

SECRET = "s" * 40


@pytest.fixture
def production(settings: Settings) -> Services:
    return build_services(Settings(data_dir=settings.data_dir, database_url=settings.database_url,
                                   environment="production", session_secret=SECRET))


def _admins(services: Services) -> list[str]:
    with services.auth.sessions() as db:
        return list(db.scalars(select(User.username).where(User.role == "admin")))


def _actions(services: Services) -> list[str]:
    with services.auth.sessions() as db:
        return list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_production_refuses_the_form_without_the_token_and_accepts_it_once(production: Services) -> None:
    issued = production.first_run.issue_token()
    assert issued is not None and production.first_run.needs_token("127.0.0.1")
    for token in (None, "", "   ", "not-the-token", issued.token[:-1]):
        with pytest.raises(SetupRefused):
            production.first_run.create_first_admin(username="mallory", password="password-1", token=token,
                                                    client="10.0.0.66")
    assert _admins(production) == [] and not production.auth.has_users()
    # a wrong guess used nothing up: the operator's token still works
    admin = production.first_run.create_first_admin(username="Olivia", password="password-1", token=issued.token,
                                                    client="10.0.0.1")
    assert (admin.username, admin.role) == ("olivia", "admin")
    with pytest.raises((SetupRefused, AccountError)):
        production.first_run.create_first_admin(username="mallory", password="password-1", token=issued.token,
                                                client="10.0.0.66")
    assert _admins(production) == ["olivia"]
    assert production.first_run.issue_token() is None  # accounts exist: no new token
    actions = _actions(production)
    # two wrong tokens and the reuse are recorded; a form without any token tried nothing
    assert actions.count("setup.refused") == 3 and actions.count("setup.first_admin") == 1
    with production.auth.sessions() as db:
        payloads = " ".join(db.scalars(select(AuditEntry.payload)))
        stored = list(db.scalars(select(SetupToken.token_hash)))
    assert issued.token not in payloads and "password-1" not in payloads
    assert issued.token not in stored and len(stored) == 1  # only its hash is kept


def test_an_expired_token_is_refused(production: Services) -> None:
    issued = production.first_run.issue_token(now=utcnow() - timedelta(minutes=61))
    assert issued is not None
    with pytest.raises(SetupRefused, match="wrong, used or expired"):
        production.first_run.create_first_admin(username="olivia", password="password-1", token=issued.token,
                                                client="10.0.0.1")
    assert not production.auth.has_users()


def test_two_tokens_used_at_once_make_one_admin(production: Services) -> None:
    """Two replicas printed a token each; two people use them at the same moment: one admin, one refusal."""
    tokens = [production.first_run.issue_token(), production.first_run.issue_token()]
    results: list[object] = []
    start = threading.Barrier(2)

    def use(i: int) -> None:
        start.wait()
        try:
            token = tokens[i]
            assert token is not None
            results.append(production.first_run.create_first_admin(
                username=f"admin{i}", password="password-1", token=token.token, client=f"10.0.0.{i}"))
        except (SetupRefused, AccountError) as exc:
            results.append(exc)

    threads = [threading.Thread(target=use, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(_admins(production)) == 1
    assert sum(isinstance(r, Exception) for r in results) == 1


def test_token_guesses_are_rate_limited_per_address(production: Services) -> None:
    assert production.first_run.issue_token() is not None
    per_minute = production.first_run.settings.login_attempts_per_minute
    room_in_window(40)
    refused = 0
    for i in range(per_minute + 3):
        try:
            production.first_run.create_first_admin(username="mallory", password="password-1",
                                                    token=f"guess-{i}", client="10.0.0.66")
        except SetupRefused:
            refused += 1
        except RateLimited as exc:
            assert "at most 30 a minute" in str(exc)
            break
    assert refused == per_minute
    with pytest.raises(SetupRefused):  # another address is not held up
        production.first_run.create_first_admin(username="olivia", password="password-1", token="x",
                                                client="10.0.0.1")


def test_development_keeps_the_one_click_first_admin(settings: Settings) -> None:
    services = build_services(settings)
    assert not services.first_run.needs_token("unknown")  # Streamlit gives no address for localhost
    with pytest.raises(SetupRefused):  # a colleague on the same network, reaching the laptop's `make run`
        services.first_run.create_first_admin(username="eve", password="password-1", token=None,
                                              client="192.168.1.23")
    admin = services.first_run.create_first_admin(username="dev", password="password-1", token=None,
                                                  client="127.0.0.1")
    assert admin.role == "admin"


def test_oversized_first_admin_input_is_refused_plainly(production: Services) -> None:
    with pytest.raises(AccountError, match="at most 256"):
        production.first_run.create_first_admin(username="olivia", password="x" * 1_000_000, token="t", client="c")
    with pytest.raises(AccountError, match="3-40 characters"):
        production.first_run.create_first_admin(username="o" * 1_000_000, password="password-1", token="t",
                                                client="c")
    assert not production.auth.has_users()


def test_cli_setup_token(database_url: str) -> None:
    made = db_cli("setup-token", "--database-url", database_url)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert len(token) >= 30 and "valid once, until" in made.stderr
    services = build_services(Settings(database_url=database_url, environment="production", session_secret=SECRET))
    services.first_run.create_first_admin(username="olivia", password="password-1", token=token, client="c")
    again = db_cli("setup-token", "--database-url", database_url)
    assert again.returncode == 1 and "accounts exist already" in again.stderr
    with services.auth.sessions() as db:
        assert db.execute(text("select count(*) from setup_tokens where used_at is null")).scalar() == 0


def test_cli_with_incomplete_production_settings_says_so_in_one_line(tmp_path: object) -> None:
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {k: v for k, v in os.environ.items() if k != "SESSION_SECRET"}
    done = subprocess.run([sys.executable, "-m", "db", "setup-token"], cwd=ROOT, capture_output=True, text=True,
                          env={**env, "ENVIRONMENT": "production"}, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == ("error: settings: ENVIRONMENT=production needs SESSION_SECRET (a long random "
                                   "string, the same on every replica): it signs the cookie that keeps a password "
                                   "login across reloads")
