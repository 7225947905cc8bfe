"""Login sessions (the server side of the "stay logged in" cookie), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from db.models import utcnow
from services import AccessDenied, Actor, LoginRefused, PracticeError, Services, build_services
from services.login_sessions import session_secret
from settings import Settings
from tests.conftest import run_sql


@pytest.fixture
def services(settings: Settings) -> Services:
    return build_services(settings)


def make_people(services: Services) -> dict[str, Actor]:
    """Trainees ann and bob, trainer tina, admin root (no teams: teams are not what these tests are about)."""
    make = services.auth.create_user
    return {name: make(Actor.system(), username=name, role=role, password=f"password-{name}")
            for name, role in (("ann", "trainee"), ("bob", "trainee"), ("tina", "trainer"), ("root", "admin"))}


def _cookie(services: Services, actor: Actor) -> tuple[int, str]:
    ticket = services.login_sessions.open(actor)
    cookie = services.login_sessions.exchange(ticket.code)
    assert cookie is not None
    return ticket.login_session_id, cookie.value


def test_a_cookie_logs_the_same_user_in_again(services: Services, settings: Settings) -> None:
    people = make_people(services)
    ann = people["ann"]
    ticket = services.login_sessions.open(ann)
    cookie = services.login_sessions.exchange(ticket.code)
    assert cookie is not None
    assert 13 * 86400 < cookie.max_age <= settings.session_days * 86400
    resumed = services.login_sessions.resume(cookie.value)
    assert resumed.actor.username == "ann" and resumed.actor.role == "trainee"
    assert resumed.login_session_id == ticket.login_session_id
    assert services.login_sessions.is_active(ticket.login_session_id)


def test_a_code_works_once_and_only_briefly(services: Services, settings: Settings) -> None:
    people = make_people(services)
    ticket = services.login_sessions.open(people["ann"])
    assert services.login_sessions.exchange(ticket.code) is not None
    assert services.login_sessions.exchange(ticket.code) is None  # used
    assert services.login_sessions.exchange("made-up") is None
    late = services.login_sessions.open(people["bob"])
    run_sql(settings.database_url, "update login_sessions set code_expires_at = :t where id = :i",
            {"t": utcnow() - timedelta(seconds=1), "i": late.login_session_id})
    assert services.login_sessions.exchange(late.code) is None


def test_logout_revokes_the_cookie(services: Services) -> None:
    ann = make_people(services)["ann"]
    login_id, cookie = _cookie(services, ann)
    services.login_sessions.end(ann, login_id)
    assert not services.login_sessions.is_active(login_id)
    with pytest.raises(LoginRefused, match="signed out"):
        services.login_sessions.resume(cookie)


def test_logout_by_cookie_revokes_only_that_session(services: Services) -> None:
    ann = make_people(services)["ann"]
    first_id, first = _cookie(services, ann)
    second_id, second = _cookie(services, ann)
    services.login_sessions.end_by_cookie(first)
    services.login_sessions.end_by_cookie("forged.value")
    assert not services.login_sessions.is_active(first_id)
    assert services.login_sessions.resume(second).login_session_id == second_id


def test_another_user_cannot_end_my_session(services: Services) -> None:
    people = make_people(services)
    login_id, cookie = _cookie(services, people["ann"])
    services.login_sessions.end(people["bob"], login_id)
    assert services.login_sessions.resume(cookie).actor.username == "ann"


def test_an_admin_signs_an_account_out_everywhere(services: Services) -> None:
    people = make_people(services)
    ann, bob, root = people["ann"], people["bob"], people["root"]
    assert ann.id is not None
    ann_ids = [_cookie(services, ann) for _ in range(2)]
    _, bob_cookie = _cookie(services, bob)
    assert services.login_sessions.active_count(root, ann.id) == 2
    with pytest.raises(AccessDenied):
        services.login_sessions.revoke_user(people["tina"], ann.id)
    assert services.login_sessions.revoke_user(root, ann.id) == 2
    for login_id, cookie in ann_ids:
        assert not services.login_sessions.is_active(login_id)
        with pytest.raises(LoginRefused, match="An admin signed you out"):
            services.login_sessions.resume(cookie)
    assert services.login_sessions.resume(bob_cookie).actor.username == "bob"
    assert services.login_sessions.active_count(root, ann.id) == 0


def test_an_expired_session_is_refused(services: Services, settings: Settings) -> None:
    ann = make_people(services)["ann"]
    login_id, cookie = _cookie(services, ann)
    run_sql(settings.database_url, "update login_sessions set expires_at = :t where id = :i",
            {"t": utcnow() - timedelta(seconds=1), "i": login_id})
    assert not services.login_sessions.is_active(login_id)
    with pytest.raises(LoginRefused, match="expired"):
        services.login_sessions.resume(cookie)


def test_a_cookie_signed_too_long_ago_is_refused(services: Services, settings: Settings) -> None:
    ann = make_people(services)["ann"]
    login_id, cookie = _cookie(services, ann)
    token = URLSafeTimedSerializer(session_secret(settings), salt="practice-login-session").loads(cookie)[1]

    class Old(TimestampSigner):
        def get_timestamp(self) -> int:  # signed SESSION_DAYS and one hour ago
            return super().get_timestamp() - settings.session_days * 86400 - 3600

    old = URLSafeTimedSerializer(session_secret(settings), salt="practice-login-session",
                                 signer=Old).dumps([login_id, token])
    with pytest.raises(LoginRefused, match="expired"):
        services.login_sessions.resume(old)
    assert services.login_sessions.resume(cookie).actor.username == "ann"


def test_a_tampered_or_foreign_cookie_is_refused(services: Services, settings: Settings, tmp_path: Path) -> None:
    people = make_people(services)
    login_id, cookie = _cookie(services, people["ann"])
    token = URLSafeTimedSerializer(session_secret(settings), salt="practice-login-session").loads(cookie)[1]
    head, _, signature = cookie.rpartition(".")
    flipped = head + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    other_secret = URLSafeTimedSerializer("not-our-secret", salt="practice-login-session")
    for bad in (flipped, "garbage", "", other_secret.dumps([login_id, token])):
        with pytest.raises(LoginRefused, match="could not be verified"):
            services.login_sessions.resume(bad)
    ours = URLSafeTimedSerializer(session_secret(settings), salt="practice-login-session")
    with pytest.raises(LoginRefused):  # correctly signed, but the token is not the one stored
        services.login_sessions.resume(ours.dumps([login_id, "guessed-token"]))


def test_a_deleted_account_cannot_come_back(services: Services, settings: Settings) -> None:
    ann = make_people(services)["ann"]
    _, cookie = _cookie(services, ann)
    run_sql(settings.database_url, "delete from users where id = :i", {"i": ann.id})
    with pytest.raises(LoginRefused):
        services.login_sessions.resume(cookie)


def test_a_disabled_account_cannot_come_back(services: Services, settings: Settings) -> None:
    ann = make_people(services)["ann"]
    _, cookie = _cookie(services, ann)
    run_sql(settings.database_url, "update users set disabled = :d where id = :i", {"d": True, "i": ann.id})
    with pytest.raises(LoginRefused, match="disabled"):
        services.login_sessions.resume(cookie)


def test_the_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh")
    first = session_secret(settings)
    assert len(first) >= 64 and first == session_secret(settings)
    assert (tmp_path / "fresh" / "session_secret").stat().st_mode & 0o077 == 0
    assert session_secret(Settings(data_dir=tmp_path / "fresh", session_secret="s" * 40)) == "s" * 40


def test_production_needs_a_session_secret() -> None:
    with pytest.raises(ValueError, match="SESSION_SECRET"):
        Settings(environment="production")
    Settings(environment="production", session_secret="x" * 40)


def test_only_accounts_get_a_login_session(services: Services) -> None:
    with pytest.raises(Exception, match="Only an account"):
        services.login_sessions.open(Actor.system())


def test_every_login_session_use_case_needs_one_connection(tmp_path: Path, database_url: str) -> None:
    single = build_services(Settings(data_dir=tmp_path / "data", database_url=database_url, db_pool_size=1,
                                     db_pool_overflow=0, db_pool_timeout=2))
    people = make_people(single)
    ann, root = people["ann"], people["root"]
    assert ann.id is not None
    login_id, cookie = _cookie(single, ann)
    assert single.login_sessions.resume(cookie).login_session_id == login_id
    assert single.login_sessions.is_active(login_id)
    assert single.login_sessions.active_count(root, ann.id) == 1
    single.login_sessions.end(ann, login_id)
    single.login_sessions.end_by_cookie(cookie)
    assert single.login_sessions.revoke_user(root, ann.id) == 0


def test_a_browser_that_logged_in_before_is_not_locked_out_by_a_strangers_guesses(services: Services) -> None:
    """Anyone can lock a real account with five wrong passwords; the owner's own browser (its known-device cookie,
    set with the login cookie and kept after logout) still gets in with the right password. Another browser, a
    cookie for another account, and a forged one do not."""
    people = make_people(services)
    ann, bob = people["ann"], people["bob"]
    cookie = services.login_sessions.exchange(services.login_sessions.open(ann).code)
    bobs = services.login_sessions.exchange(services.login_sessions.open(bob).code)
    assert cookie is not None and bobs is not None
    device = services.login_sessions.known_device(cookie.device)
    assert device == ann.id
    for device_cookie in (None, bobs.device, cookie.device[:-3] + "xyz", "garbage"):
        assert services.login_sessions.known_device(device_cookie) in (None, bob.id)
    for _ in range(services.auth.settings.login_lockout_after + 2):
        with pytest.raises(PracticeError):
            services.auth.login("ann", "a stranger's guess", client="203.0.113.66")
    for other in (None, services.login_sessions.known_device(bobs.device)):
        with pytest.raises(PracticeError, match="Wrong username or password"):  # locked: another browser
            services.auth.login("ann", "password-ann", client="192.0.2.8", known_device=other)
    with pytest.raises(PracticeError, match="Wrong username or password"):  # her browser, a wrong password
        services.auth.login("ann", "not it", client="192.0.2.8", known_device=device)
    assert services.auth.login("ann", "password-ann", client="192.0.2.8", known_device=device).id == ann.id
