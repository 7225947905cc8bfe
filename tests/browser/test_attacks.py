"""Attackers against the real server (``ENVIRONMENT=production``, ``streamlit run server.py`` on a fresh database,
loopback only) in headless Chromium, on SQLite and on PostgreSQL: first-run takeover, password spraying,
certificate-code guessing, other people's ids in the address, a trainee on staff pages, logged out on every page;
and afterwards the server's log, which must hold none of the passwords, guesses or secrets typed or configured.

Each browser context sends its own ``X-Forwarded-For`` (the server trusts it, ``CLIENT_IP_HEADER``, as it would
behind the balancer), so each attacker is a separate client address and the tests do not share a rate limit.
"""

from __future__ import annotations

import secrets
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.browser.helpers import ROOT, log_in, serve_process, settle
from tests.conftest import PG_ADMIN_URL, _postgres_reachable, room_in_window

SECRET = secrets.token_urlsafe(32)
SPRAYED = "Winter2026!"
ANN_SECRET = "My card ends 4417 and my address is 12 Hidden Lane."
WAIT = 60_000
STAFF = {"review": "Review transcripts", "scenarios": "Scenarios", "cert_review": "Certification review",
         "calibration": "Calibration", "rubric": "Rubric", "campaigns": "Certification campaigns",
         "admin_settings": "Settings"}


@dataclass
class Target:
    url: str
    database_url: str
    token: str
    log: list[str]
    proc: subprocess.Popen[bytes]
    typed: list[str] = field(default_factory=list)  # every secret an attacker or user typed: never in the log
    ids: dict[str, int] = field(default_factory=dict)


def _database(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'data' / 'practice.db'}"
        return
    if not _postgres_reachable():
        pytest.fail(f"PostgreSQL is required but not reachable at {PG_ADMIN_URL}")
    name = f"practice_attack_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    from db.engine import dispose_engines

    dispose_engines(make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False))
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    tmp = tmp_path_factory.mktemp(f"attack-{request.param}")
    databases = _database(request.param, tmp)
    database_url = next(databases)
    env = {"ENVIRONMENT": "production", "SESSION_SECRET": SECRET, "CLIENT_IP_HEADER": "X-Forwarded-For",
           "DATABASE_URL": database_url, "PUBLIC_URL": "http://127.0.0.1"}
    with serve_process(tmp, env) as (url, proc):
        log: list[str] = []
        found = threading.Event()

        def drain() -> None:  # the whole log, kept for the leak check (and the pipe never fills)
            assert proc.stdout is not None
            for raw in proc.stdout:
                log.append(raw.decode(errors="replace"))
                if raw.startswith(b"Setup token: "):
                    found.set()

        threading.Thread(target=drain, daemon=True).start()
        assert found.wait(30), "the server printed no setup token:\n" + "".join(log)
        token = next(line for line in log if line.startswith("Setup token: ")).split(": ", 1)[1].strip()
        yield Target(url, database_url, token, log, proc)
    for _ in databases:
        pass


def _client(browser: Any, address: str) -> Any:
    context = browser.new_context(extra_http_headers={"X-Forwarded-For": address},
                                  viewport={"width": 1200, "height": 900})
    return context.new_page()


def _alert(page: Any, *texts: str) -> str:
    """The first message box (error, warning) showing one of ``texts``, as the page shows it."""
    alerts = page.locator('[data-testid="stAlertContainer"]')
    locator = alerts.filter(has_text=texts[0])
    for more in texts[1:]:
        locator = locator.or_(alerts.filter(has_text=more))
    locator.first.wait_for(timeout=WAIT)
    settle(page)
    return str(locator.first.inner_text()).strip()


def _first_admin_form(page: Any, token: str | None, username: str, password: str) -> None:
    fields = page.locator('[data-testid="stTextInputRootElement"] input')
    fields.nth(0).fill(token or "")
    fields.nth(1).fill(username)
    fields.nth(2).fill(password)
    fields.nth(3).fill(password)
    page.get_by_role("button", name="Create admin and log in").click()


def test_first_run_takeover_needs_the_token(target: Target, browser: Any) -> None:
    from services import build_services
    from settings import Settings

    mallory = _client(browser, "203.0.113.66")
    mallory.goto(target.url)
    mallory.get_by_text("Setup token (from the server's log)").wait_for(timeout=WAIT)
    _first_admin_form(mallory, None, "mallory", "mallory-pass-1")
    assert "Enter the setup token" in _alert(mallory, "Enter the setup token")
    guess = secrets.token_urlsafe(24)
    target.typed += ["mallory-pass-1", guess]
    _first_admin_form(mallory, guess, "mallory", "mallory-pass-1")
    assert "not valid" in _alert(mallory, "That setup token is not valid")
    services = build_services(Settings(database_url=target.database_url))
    assert not services.auth.has_users()
    # the operator, with the token from the log
    olivia = _client(browser, "192.0.2.10")
    olivia.goto(target.url)
    olivia.get_by_text("Setup token (from the server's log)").wait_for(timeout=WAIT)
    target.typed.append("olivia-admin-pass")
    _first_admin_form(olivia, target.token, "olivia", "olivia-admin-pass")
    olivia.get_by_text("Logged in as olivia (admin)").wait_for(timeout=WAIT)
    # the token is spent: the same form, with the same token, is gone for everyone else
    mallory.reload()
    mallory.get_by_role("button", name="Log in", exact=True).wait_for(timeout=WAIT)
    assert mallory.get_by_text("Create the first admin account").count() == 0
    with create_engine(target.database_url).connect() as conn:
        assert conn.execute(text("select username from users")).scalars().all() == ["olivia"]
        assert conn.execute(text("select count(*) from setup_tokens where used_at is null")).scalar() == 0
    for page in (mallory, olivia):
        page.context.close()


@pytest.fixture(scope="module")
def people(target: Target) -> Target:
    """Twenty trainees, and ann's chat (graded) holding something private (after the first-run test)."""
    from services import Actor, build_services
    from settings import Settings

    services = build_services(Settings(database_url=target.database_url))
    system = Actor.system()
    for i in range(20):
        password = f"pw-{secrets.token_hex(6)}"
        services.auth.create_user(system, username=f"user{i:02d}", role="trainee", password=password)
    for name in ("ann", "bob"):
        services.auth.create_user(system, username=name, role="trainee", password=f"{name}-password-1")
    ann = services.auth.login("ann", "ann-password-1", client="seed")
    view = services.practice.start(ann, persona_slug="hostile", seed=1).finish()
    assert view is not None
    services.practice.send(ann, view.id, ANN_SECRET).finish()
    services.grading.grade_session(ann, view.id)
    target.ids = {"chat": view.id, "rush": services.rush.start(ann)}
    target.typed += ["ann-password-1", "bob-password-1"]
    return target


def test_password_spraying_over_20_accounts_is_cut_off(people: Target, browser: Any) -> None:
    target = people
    target.typed.append(SPRAYED)
    room_in_window(120, hour=True)  # all 20 inside one hour's window
    attacker = _client(browser, "203.0.113.77")
    attacker.goto(target.url)
    said = []
    for i in range(20):
        log_in(attacker, f"user{i:02d}", SPRAYED)
        said.append(_alert(attacker, "Wrong username or password.", "Too many failed logins"))
        attacker.reload()
    assert all(s.startswith("Wrong username or password.") for s in said[:10]) and len(set(said[:10])) == 1
    assert all(s.startswith("Too many failed logins from your address, on 10 different accounts") for s in said[10:])
    # ann, from her own address, is not held up by the attacker
    ann = _client(browser, "192.0.2.20")
    ann.goto(target.url)
    log_in(ann, "ann", "ann-password-1")
    ann.get_by_text("Logged in as ann (trainee)").wait_for(timeout=WAIT)
    with create_engine(target.database_url).connect() as conn:
        failed = conn.execute(text("select count(*) from audit_log where action = 'login.failed'")).scalar()
        locked = conn.execute(text("select count(*) from users where locked_until is not null")).scalar()
    assert failed == 10 and locked == 0
    for page in (attacker, ann):
        page.context.close()


def test_certificate_codes_cannot_be_guessed_quickly(target: Target, browser: Any) -> None:
    guesser = _client(browser, "203.0.113.88")
    room_in_window(40)  # all 12 inside one minute's window
    said = []
    for i in range(12):
        guesser.goto(f"{target.url}/verify?code=CERT-AAAA-BBBB-{i:04d}")
        said.append(_alert(guesser, "Not valid.", "Too many checks from your address"))
    assert all("Not valid. No certificate has this code." in s for s in said[:10]), said
    assert all("Too many checks from your address: at most 10 per minute" in s for s in said[10:])
    guesser.context.close()


def test_logged_out_every_page_address_shows_only_the_login(people: Target, browser: Any) -> None:
    target = people
    stranger = _client(browser, "203.0.113.99")
    chat, rush = target.ids["chat"], target.ids["rush"]
    for path in [*sorted(p.stem for p in (ROOT / "pages").glob("*.py")), "attempt"]:
        if path == "verify":
            continue
        stranger.goto(f"{target.url}/{path}?session={chat}&rush={rush}")
        stranger.get_by_role("button", name="Log in", exact=True).wait_for(timeout=WAIT)
        settle(stranger)
        body = stranger.locator("body").inner_text()
        assert "4417" not in body and "ann" not in body.split() and "Logged in as" not in body, path
        assert stranger.locator("h1").first.inner_text() == "Difficult-customer practice", path
    stranger.context.close()


def test_a_trainee_reaches_neither_staff_pages_nor_another_trainees_ids(people: Target, browser: Any) -> None:
    target = people
    bob = _client(browser, "192.0.2.30")
    bob.goto(target.url)
    log_in(bob, "bob", "bob-password-1")
    bob.get_by_text("Logged in as bob (trainee)").wait_for(timeout=WAIT)
    for _ in range(100):  # the page sets the login cookie in the background, right after the login
        if any(c["name"] == "practice_login" for c in bob.context.cookies()):
            break
        bob.wait_for_timeout(100)
    for path, title in STAFF.items():
        bob.goto(f"{target.url}/{path}")
        bob.get_by_text("Logged in as bob (trainee)").wait_for(timeout=WAIT)
        settle(bob)
        titles = bob.locator("h1").all_inner_texts()
        assert title not in titles, (path, titles)
        assert bob.locator(f'a[href$="/{path}"]').count() == 0, path  # nor a link to it
    chat, rush = target.ids["chat"], target.ids["rush"]
    for address, refusal in ((f"report?session={chat}", f"No chat with id {chat}"),
                             (f"chat?session={chat}", f"No chat with id {chat}"),
                             (f"rush?rush={rush}", f"No rush hour with id {rush}")):
        bob.goto(f"{target.url}/{address}")
        bob.get_by_text(refusal).first.wait_for(timeout=WAIT)
        settle(bob)
        assert "4417" not in bob.locator("body").inner_text(), address
    bob.context.close()


def test_the_log_holds_no_password_guess_or_secret(target: Target) -> None:
    """Last in the module: every secret typed above, and the configured one, never reached the server's log; the
    setup token appears only on its own line."""
    target.proc.terminate()
    target.proc.wait(20)
    log = "".join(target.log)
    assert target.typed, "the tests above typed nothing"
    for typed in [*target.typed, SECRET, ANN_SECRET]:
        assert typed not in log, typed
    assert log.count(target.token) == 1
    assert "Traceback" not in log, log[-3000:]
