"""Password guessing slowed: per account (lockout), per client address (attempts a minute, accounts an hour), every
looked-up attempt in the audit chain without the password; on both databases."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from db import audit
from db.models import AuditEntry, User, utcnow
from services import AccessDenied, Actor, PracticeError, RateLimited, Services, build_services, rate_limit
from services.auth import refusal
from settings import Settings
from tests.conftest import room_in_window

SYSTEM = Actor.system()
SPRAYED = "Summer2026!"


@pytest.fixture
def services(settings: Settings) -> Services:
    return build_services(settings)


def _events(services: Services) -> list[tuple[str, str, dict[str, object]]]:
    with services.auth.sessions() as db:
        rows = db.execute(select(AuditEntry.action, AuditEntry.actor, AuditEntry.payload)
                          .where(AuditEntry.subject_type == "login").order_by(AuditEntry.id)).all()
    return [(action, actor, json.loads(payload)) for action, actor, payload in rows]


def test_spraying_one_password_over_20_accounts_stops_at_the_hourly_limit(services: Services) -> None:
    for i in range(20):
        services.auth.create_user(SYSTEM, username=f"user{i:02d}", role="trainee", password=f"secret-{i:02d}-pw")
    limit = services.auth.settings.login_accounts_per_hour
    room_in_window(60, hour=True)
    outcomes = []
    for i in range(20):
        try:
            services.auth.login(f"user{i:02d}", SPRAYED, client="203.0.113.9")
            outcomes.append("in")
        except RateLimited as exc:
            outcomes.append("limited")
            assert f"on {limit} different accounts this hour" in str(exc)
        except PracticeError as exc:
            outcomes.append("wrong")
            assert str(exc) == str(refusal(services.auth.settings))
    assert outcomes == ["wrong"] * limit + ["limited"] * (20 - limit)
    # the right password from that address is refused too, before anything is looked up
    with pytest.raises(RateLimited):
        services.auth.login("user15", "secret-15-pw", client="203.0.113.9")
    # another address, and the lockout of no account was spent by the spray
    assert services.auth.login("user15", "secret-15-pw", client="198.51.100.7").username == "user15"
    with services.auth.sessions() as db:
        assert not any(db.scalars(select(User.locked_until).where(User.locked_until.is_not(None))))
    failed = [e for e in _events(services) if e[0] == "login.failed"]
    assert len(failed) == limit and all(e[2]["client"] == "203.0.113.9" for e in failed)
    assert [e[0] for e in _events(services)][-1] == "login.succeeded"
    with services.auth.sessions() as db:
        everything = " ".join(db.scalars(select(AuditEntry.payload)))
        assert SPRAYED not in everything and "secret-15-pw" not in everything
        assert audit.verify(db)[1] is None


def test_attempts_a_minute_per_address(services: Services) -> None:
    services.auth.create_user(SYSTEM, username="ann", role="trainee", password="password-ann")
    per_minute = services.auth.settings.login_attempts_per_minute
    start = utcnow()
    allowed = 0
    for _ in range(per_minute + 2):
        try:
            services.auth.login("ann", "password-ann", client="192.0.2.1")
            allowed += 1
        except RateLimited as exc:
            assert f"at most {per_minute} a minute" in str(exc)
            break
    if (utcnow() - start) < timedelta(seconds=50) and utcnow().minute == start.minute:
        assert allowed == per_minute  # all within one window (a window edge would allow more, never fewer)
    assert allowed >= per_minute


def test_lockout_per_account_and_parallel_guesses_cannot_pass_it(services: Services) -> None:
    services.auth.create_user(SYSTEM, username="ann", role="trainee", password="password-ann")
    after = services.auth.settings.login_accounts_per_hour and services.auth.settings.login_lockout_after
    results: list[str] = []
    go = threading.Barrier(12)

    def guess(i: int) -> None:
        go.wait()
        try:
            services.auth.login("ann", f"guess-{i}", client=f"10.1.0.{i}")  # spread over addresses
            results.append("in")
        except PracticeError as exc:
            results.append(str(exc))

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    wrong = [e for e in _events(services) if e[0] == "login.failed" and e[2]["reason"] == "wrong password"]
    assert len(wrong) <= after  # only that many passwords were ever checked
    assert "in" not in results and set(results) == {str(refusal(services.auth.settings))}
    with services.auth.sessions() as db:
        locked = db.scalar(select(User.locked_until).where(User.username == "ann"))
    assert locked is not None
    minutes = (locked - utcnow()).total_seconds() / 60
    assert services.auth.settings.login_lockout_minutes - 1 < minutes <= services.auth.settings.login_lockout_minutes
    with pytest.raises(PracticeError, match="Wrong username or password"):  # even the right password, meanwhile
        services.auth.login("ann", "password-ann", client="10.9.9.9")


def test_each_outcome_is_an_audit_event_without_the_password(services: Services) -> None:
    services.auth.create_user(SYSTEM, username="ann", role="trainee", password="password-ann")
    services.auth.create_user(SYSTEM, username="gone", role="trainee", password="password-gone")
    root = services.auth.create_user(SYSTEM, username="root", role="admin", password="password-root")
    gone = next(a for a in services.accounts.accounts(root) if a.username == "gone")
    services.accounts.set_disabled(root, gone.id, True)
    services.auth.login("ann", "password-ann", client="192.0.2.1")
    with pytest.raises(PracticeError):
        services.auth.login("ann", "password-typo", client="192.0.2.1")
    with pytest.raises(PracticeError):  # a password typed into the username field
        services.auth.login("my-secret-pass", "password-ann", client="192.0.2.1")
    with pytest.raises(AccessDenied):
        services.auth.login("gone", "password-gone", client="192.0.2.1")
    events = _events(services)
    assert [(a, actor, p.get("reason")) for a, actor, p in events] == [
        ("login.succeeded", "ann", None), ("login.failed", "ann", "wrong password"),
        ("login.failed", "anonymous", "no such account"), ("login.failed", "gone", "account disabled")]
    text = json.dumps([e[2] for e in events])
    assert "password" not in text.replace("wrong password", "") and "my-secret-pass" not in text


def test_oversized_and_malformed_logins_are_refused_plainly(services: Services) -> None:
    services.auth.create_user(SYSTEM, username="ann", role="trainee", password="password-ann")
    for username, password in (("ann", "p" * 1_000_000), ("a" * 1_000_000, "password-ann"),
                               ("ann\x00", "password-ann"), ("", ""), ("<script>", "x")):
        with pytest.raises(PracticeError) as refused:
            services.auth.login(username, password, client="192.0.2.50")
        assert str(refused.value) == str(refusal(services.auth.settings))


def test_hour_windows_count_apart(services: Services) -> None:
    now = utcnow().replace(minute=59, second=30, microsecond=0)
    assert rate_limit.add(services.auth.sessions, "t", window=rate_limit.HOUR, now=now) == 1
    assert rate_limit.add(services.auth.sessions, "t", window=rate_limit.HOUR, now=now) == 2
    assert rate_limit.seconds_left(now, rate_limit.HOUR) == 31
    assert rate_limit.add(services.auth.sessions, "t", window=rate_limit.HOUR, now=now + timedelta(minutes=1)) == 1


def test_spraying_in_parallel_gets_no_more_accounts_checked(services: Services) -> None:
    """30 guesses on 30 accounts at once from one address: the hourly allowance is counted before any check, so
    no more than its 10 accounts are looked up however the requests interleave."""
    for i in range(30):
        services.auth.create_user(SYSTEM, username=f"user{i:02d}", role="trainee", password=f"secret-{i:02d}-pw")
    room_in_window(60, hour=True)
    go = threading.Barrier(30)
    said: list[str] = []

    def spray(i: int) -> None:
        go.wait()
        try:
            services.auth.login(f"user{i:02d}", SPRAYED, client="203.0.113.10")
        except PracticeError as exc:
            said.append(type(exc).__name__)

    threads = [threading.Thread(target=spray, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    limit = services.auth.settings.login_accounts_per_hour
    assert len(said) == 30 and said.count("PracticeError") <= limit
    assert len([e for e in _events(services) if e[0] == "login.failed"]) <= limit


def test_a_successful_login_gives_its_account_back_to_the_address(services: Services) -> None:
    """A class behind one office address: 25 people log in, none failing; the hourly allowance is for failures."""
    for i in range(25):
        services.auth.create_user(SYSTEM, username=f"pupil{i:02d}", role="trainee", password=f"pupil-{i:02d}-pw")
    for i in range(25):
        assert services.auth.login(f"pupil{i:02d}", f"pupil-{i:02d}-pw", client="198.51.100.1").id is not None


def test_the_client_address_the_limits_count() -> None:
    key = rate_limit.client_key
    assert key(None, None) == "unknown" and key(None, "192.0.2.1") == "192.0.2.1"
    # a balancer that appends (nginx, cloud balancers): what the client wrote first is not believed
    assert key("6.6.6.6, 198.51.100.4", "10.0.0.2") == "198.51.100.4"
    assert key("198.51.100.4", "10.0.0.2") == "198.51.100.4"  # HAProxy overwrites: one address
    assert key(" ", "10.0.0.2") == "10.0.0.2"
    # one IPv6 subscriber holds a /64: rotating within it does not give new allowances
    assert key(None, "2001:db8:1:2::1") == key(None, "2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert key(None, "::1") == "::1" and key("not an address" * 10, None) == ("not an address" * 10)[:64]


def test_ipv4_clients_of_a_dual_stack_server_count_apart() -> None:
    """Streamlit reports an IPv4 client of a dual-stack server as an IPv4-mapped IPv6 address: each IPv4 client
    keeps its own count (grouping the mapped form by /64 put every IPv4 client in ``::/64``)."""
    key = rate_limit.client_key
    assert key(None, "::ffff:127.0.0.1") == "127.0.0.1"
    assert key(None, "::ffff:127.0.0.2") == "127.0.0.2"
    assert key(None, "::ffff:198.51.100.7") != key(None, "::ffff:203.0.113.9")
    assert key("::ffff:198.51.100.4", "::1") == "198.51.100.4"  # a balancer's header in the mapped form too
    assert key(None, "::ffff:127.0.0.1") in rate_limit.LOCAL  # this machine, whichever form it arrives in


def test_a_locked_account_answers_like_an_unknown_name_and_an_admin_can_unlock_it(services: Services) -> None:
    """Five wrong passwords lock a real account; a made-up name never locks. Both must answer alike (or a guesser
    learns which names are real), and the owner, locked out on purpose by someone else, gets back in through an
    admin's Unlock (the refusal says so)."""
    ann = services.auth.create_user(SYSTEM, username="ann", role="trainee", password="password-ann")
    root = services.auth.create_user(SYSTEM, username="root", role="admin", password="password-root")
    for _ in range(services.auth.settings.login_lockout_after + 1):
        for name in ("ann", "nobody"):
            with pytest.raises(PracticeError) as refused:
                services.auth.login(name, "wrong-guess", client="198.51.100.20")
            assert str(refused.value) == str(refusal(services.auth.settings)), name
    with pytest.raises(PracticeError) as refused:  # the owner, with the right password, while locked
        services.auth.login("ann", "password-ann", client="192.0.2.7")
    assert "an admin can unlock your account" in str(refused.value)
    account = next(a for a in services.accounts.accounts(root) if a.id == ann.id)
    assert account.status == "locked"
    with pytest.raises(AccessDenied):
        services.accounts.unlock(ann, ann.id)  # not for a trainee
    assert services.accounts.unlock(root, ann.id).status == "active"
    assert services.auth.login("ann", "password-ann", client="192.0.2.7").id == ann.id
    with services.auth.sessions() as db:
        assert db.scalar(select(AuditEntry.actor).where(AuditEntry.action == "user.unlocked")) == "root"
