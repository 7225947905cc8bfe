"""``ENVIRONMENT=production`` refuses unsafe defaults, each with what to set instead; the real server exits on them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from settings import Settings, production_problems, production_warnings
from tests.browser.helpers import free_port
from tests.conftest import ROOT

GOOD = {"environment": "production", "session_secret": "k" * 40, "public_url": "https://practice.example.com"}


def _refusal(**changes: object) -> str:
    with pytest.raises(ValidationError) as refused:
        Settings(**{**GOOD, **changes})  # type: ignore[arg-type]
    return str(refused.value)


def test_a_complete_production_configuration_starts() -> None:
    settings = Settings(**GOOD)  # type: ignore[arg-type]
    assert production_problems(settings, sso=False) == []
    sso = Settings(**GOOD, sso_domains=["corp.example"], sso_admins=["hr@corp.example", "cs-leads"])  # type: ignore
    assert production_problems(sso, sso=True) == []


@pytest.mark.parametrize(("changes", "said"), [
    ({"session_secret": None}, "ENVIRONMENT=production needs SESSION_SECRET"),
    ({"session_secret": "changeme"}, "SESSION_SECRET has 8 characters: production needs at least 32"),
    ({"verify_checks_per_minute": 0}, "VERIFY_CHECKS_PER_MINUTE=0 leaves the public Verify page without a rate limit"),
    ({"login_attempts_per_minute": 0}, "LOGIN_ATTEMPTS_PER_MINUTE=0 leaves the login without a per-address limit"),
    ({"login_accounts_per_hour": 0}, "LOGIN_ACCOUNTS_PER_HOUR=0 leaves the login without an hourly limit"),
    ({"sso_provider": "okta"}, "SSO_DOMAINS is empty"),
])
def test_each_unsafe_default_is_refused_with_what_to_set(changes: dict[str, object], said: str) -> None:
    assert said in _refusal(**changes)
    development = {k: v for k, v in changes.items() if k != "session_secret"}
    Settings(**development)  # type: ignore[arg-type]  # development accepts it (a laptop, no one else)


def test_settings_valid_in_some_setups_are_warnings_not_refusals() -> None:
    settings = Settings(**GOOD, sso_provider="okta", sso_domains=["corp.example"],  # type: ignore[arg-type]
                        sso_admins=["boss@gmail.com", "admins@groups.corp.example"], trainer_scope="team")
    warned = production_warnings(settings, sso=True)
    assert len(warned) == 2 and "boss@gmail.com" in warned[0] and "admins@groups" in warned[0]
    assert "SSO_TEAM_CLAIM" in warned[1]
    assert production_warnings(Settings(**GOOD), sso=True) == []  # type: ignore[arg-type]


def test_every_problem_is_listed_at_once() -> None:
    refusal = _refusal(session_secret=None, verify_checks_per_minute=0, login_attempts_per_minute=0)
    assert "SESSION_SECRET" in refusal and "VERIFY_CHECKS_PER_MINUTE" in refusal and "LOGIN_ATTEMPTS" in refusal


def _start(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "ENVIRONMENT": "production",
            "SESSION_SECRET": "k" * 40, **env}
    return subprocess.run([sys.executable, "-m", "streamlit", "run", "server.py", "--server.port", str(free_port()),
                           "--server.address", "127.0.0.1", "--server.headless", "true", *args],
                          cwd=ROOT, env=full, capture_output=True, text=True, timeout=120)


def test_the_server_refuses_to_start_on_unsafe_settings(tmp_path: Path) -> None:
    no_limit = _start(tmp_path, {"VERIFY_CHECKS_PER_MINUTE": "0"})
    assert no_limit.returncode == 1
    assert "Refusing to start: VERIFY_CHECKS_PER_MINUTE=0" in no_limit.stdout + no_limit.stderr
    secrets_file = tmp_path / "secrets.toml"  # single sign-on configured, no domain set
    secrets_file.write_text('[auth]\nredirect_uri = "http://127.0.0.1/oauth2callback"\ncookie_secret = "'
                            + "c" * 32 + '"\nclient_id = "x"\nclient_secret = "y"\n'
                            'server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"\n')
    sso = _start(tmp_path, {}, "--secrets.files", str(secrets_file))
    assert sso.returncode == 1 and "SSO_DOMAINS is empty" in sso.stdout + sso.stderr
    no_xsrf = _start(tmp_path, {}, "--server.enableXsrfProtection", "false", "--server.enableCORS", "false")
    assert no_xsrf.returncode == 1 and "server.enableXsrfProtection is off" in no_xsrf.stdout + no_xsrf.stderr
    assert "k" * 40 not in no_limit.stdout + no_limit.stderr + sso.stdout + sso.stderr  # the secret is not echoed
