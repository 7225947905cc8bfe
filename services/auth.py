"""Accounts: create users, log in (argon2 hashes, lockout after repeated failures), and the acting user.

Authorization itself lives in each service: every call takes the acting user and checks it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db import audit
from db.models import User, utcnow
from db.repositories import UnitOfWork, UserRepository, Work
from services import rate_limit
from services.rate_limit import RateLimited
from services.views import PracticeError
from settings import Settings

Role = Literal["trainee", "trainer", "hr", "admin"]
ROLES: tuple[Role, ...] = ("trainee", "trainer", "hr", "admin")
MIN_PASSWORD = 8
#: The longest password accepted (argon2 would hash a megabyte; nobody types one).
MAX_PASSWORD = 256
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
#: Stored instead of a password hash for accounts that sign on through the identity provider only.
SSO_ONLY = "!sso"
_hasher = PasswordHasher()


class AccessDenied(PracticeError):
    """The acting user may not do this."""


class AccountError(PracticeError):
    """Bad input for an account or team form; ``field`` names the form field it is about (the page shows the
    message under that field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def require_admin(actor: Actor | None, doing: str) -> None:
    """Refuse anyone who may not manage accounts: "Only an admin can {doing}." (see :mod:`services.permissions`)."""
    from services.permissions import Permission, require

    require(actor, Permission.MANAGE_ACCOUNTS, doing)


def roles_given_by(actor: Actor | None) -> tuple[Role, ...]:
    """The roles whose accounts ``actor`` may create and change, and may give: every role for an admin, trainee
    for HR (``MANAGE_TRAINEE_ACCOUNTS``), none for anyone else."""
    from services.permissions import Permission, may

    if may(actor, Permission.MANAGE_ACCOUNTS):
        return ROLES
    return ("trainee",) if may(actor, Permission.MANAGE_TRAINEE_ACCOUNTS) else ()


def require_account_manager(actor: Actor | None, doing: str) -> None:
    """Refuse anyone who may manage no account at all: "Only HR and admins can {doing}."."""
    from services.permissions import Permission, require

    require(actor, Permission.MANAGE_TRAINEE_ACCOUNTS, doing)


def role_label(role: str) -> str:
    """A role as people read it: "a trainee", "a trainer", "HR", "an admin"."""
    return {"hr": "HR", "admin": "an admin"}.get(role, f"a {role}")


def require_role_given(actor: Actor | None, role: str, doing: str) -> None:
    """Refuse an account manager who may not touch accounts of ``role`` (HR: anything but a trainee's account):
    "Only an admin can {doing}." (``doing`` may hold ``{role}``, "a trainer", and ``{name}``, "trainer")."""
    if role not in roles_given_by(actor):
        said = doing.format(role=role_label(role), name="HR" if role == "hr" else role)
        raise AccessDenied(f"Only an admin can {said} (HR manages trainee accounts).")


MAX_FULL_NAME = 80
MAX_TEAM = 60


def team_key(name: str) -> str:
    """What makes two team names the same team: case and runs of spaces do not count."""
    return " ".join(name.split()).casefold()


def resolve_team(users: UserRepository, name: str | None) -> str | None:
    """The canonical spelling of an existing team (None for no team), or an error under the team field."""
    if name is None or not name.strip():
        return None
    row = users.team_by_key(team_key(name))
    if row is None:
        raise AccountError("team", f"There is no team '{' '.join(name.split())}': add it under Teams (on Settings, "
                                   "or Accounts and teams) first.")
    return row.name


def clean_full_name(value: str | None) -> str | None:
    """A full name with its spaces tidied, None when empty; too long or with control characters is refused."""
    name = " ".join((value or "").split())
    if len(name) > MAX_FULL_NAME:
        raise AccountError("full_name", f"A full name is at most {MAX_FULL_NAME} characters (this one has "
                                        f"{len(name)}).")
    if any(not ch.isprintable() for ch in name):
        raise AccountError("full_name", "A full name cannot contain control characters.")
    return name or None


@dataclass(frozen=True)
class Actor:
    """Who is acting. ``system`` is the operator's command-line tools, which have database access anyway."""

    id: int | None
    username: str
    role: Role | Literal["system"]
    team: str | None = None

    @staticmethod
    def system() -> Actor:
        return Actor(None, "system", "system")

    @property
    def is_staff(self) -> bool:
        """Trainers, admins and the system: whoever may review trainees' transcripts."""
        from services.permissions import Permission, may

        return may(self, Permission.REVIEW_TRANSCRIPTS)


def actor_of(user: User) -> Actor:
    return Actor(user.id, user.username, user.role, user.team)  # type: ignore[arg-type]


def hash_password(password: str) -> str:
    """An argon2id hash of a password (after the caller checked its length)."""
    return _hasher.hash(password)


def sso_username(email: str) -> str:
    """The account name for an e-mail address (usernames are at most 40 characters)."""
    email = email.strip().lower()
    if len(email) <= 40:
        return email
    return email[:31] + "~" + hashlib.sha256(email.encode()).hexdigest()[:8]


def new_username(username: str) -> str:
    """A new account's username, tidied (lower case), or an error under the username field."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError("username", "Usernames are 3-40 characters: lower-case letters, digits, '.', '_' or '-'.")
    return username


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError("password", f"Passwords need at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise AccountError("password", f"Passwords are at most {MAX_PASSWORD} characters.")


def refusal(settings: Settings) -> PracticeError:
    """The one answer to a login that names no account, a wrong password, or a locked account: the same words and
    the same work (one password hash) for all three, so that a guesser cannot tell a real username from a made-up
    one by locking it. It says how the owner gets past a lockout someone else caused."""
    return PracticeError(
        f"Wrong username or password. After {settings.login_lockout_after} wrong passwords in a row an account "
        f"is paused for {settings.login_lockout_minutes} minutes, except in a browser that has logged in to it "
        "before; if your password is right and you still cannot log in, an admin can unlock your account "
        "(or HR, for a trainee: Accounts, Unlock).")


@dataclass(frozen=True)
class LoginReservation:
    """An attempt counted against its client address before anything was checked; :meth:`release` takes it back
    when the attempt succeeds (only failures should use up the address's hourly allowance of accounts)."""

    sessions: sessionmaker[Session]
    buckets: tuple[str, ...]

    def release(self) -> None:
        for bucket in self.buckets:
            rate_limit.take_back(self.sessions, bucket, window=rate_limit.HOUR)


def limit_login(sessions: sessionmaker[Session], settings: Settings, client: str, name: str) -> LoginReservation:
    """Refuse a client address over its login limits, before anything is looked up: attempts per minute, and
    different accounts (``name``) tried per hour. Counting comes first, with atomic increments, so parallel
    requests cannot all pass on the same count; the caller releases the reservation when the login succeeds."""
    per_minute, per_hour = settings.login_attempts_per_minute, settings.login_accounts_per_hour
    wait = rate_limit.hit(sessions, f"login:{client}", limit=per_minute)
    if wait:
        raise RateLimited(f"Too many login attempts from your address: at most {per_minute} a minute. Try again "
                          f"in {wait} seconds.")
    if not per_hour:
        return LoginReservation(sessions, ())
    key = hashlib.sha256(name.encode()).hexdigest()[:16]
    named, accounts = f"login-name:{client}:{key}", f"login-accounts:{client}"
    first = rate_limit.add(sessions, named, window=rate_limit.HOUR) == 1
    tried = rate_limit.add(sessions, accounts, window=rate_limit.HOUR) if first else \
        rate_limit.count(sessions, accounts, window=rate_limit.HOUR)
    if tried > per_hour:
        minutes = max(1, round(rate_limit.seconds_left(utcnow(), rate_limit.HOUR) / 60))
        raise RateLimited(f"Too many failed logins from your address, on {per_hour} different accounts this hour. "
                          f"Try again in {minutes} minute(s), or ask an admin.")
    return LoginReservation(sessions, (named, accounts) if first else ())


class AuthService:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings | None = None) -> None:
        self.sessions = sessions
        self.work = Work(sessions)
        self.settings = settings or Settings()

    def sso_role(self, email: str, groups: list[str]) -> Role:
        """The role the configuration gives this identity: the first of admin (``SSO_ADMINS``), HR (``SSO_HR``)
        and trainer (``SSO_TRAINERS``) that names its address or one of its groups, else trainee."""
        names = {email.lower(), *(g.lower() for g in groups)}
        configured: tuple[tuple[Role, list[str]], ...] = (
            ("admin", self.settings.sso_admins), ("hr", self.settings.sso_hr), ("trainer", self.settings.sso_trainers))
        return next((role for role, entries in configured if names & {e.lower() for e in entries}), "trainee")

    def sso_login(self, claims: Mapping[str, object], *, client: str = "unknown") -> Actor:
        """The account for an identity the provider vouched for (``st.user``), created on first sign-on.

        The role (and team, when a team claim is configured) follows the configuration at every sign-on, so
        taking someone out of ``SSO_ADMINS`` takes effect the next time they sign on. The sign-on, or its refusal,
        is an audit event as a password login is (``method: sso``).
        """
        reserved = limit_login(self.sessions, self.settings, client, str(claims.get("email") or "")[:100])
        try:
            actor = self._sso_account(claims)
        except PracticeError as exc:
            with self.work() as uow:
                self._event(uow, "login.failed", None, client, method="sso", reason=str(exc)[:120])
            raise
        with self.work() as uow:
            self._event(uow, "login.succeeded", actor, client, method="sso")
        reserved.release()
        return actor

    def _sso_account(self, claims: Mapping[str, object]) -> Actor:
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise PracticeError("The identity provider did not send an e-mail address: ask an admin.")
        if claims.get("email_verified") is False:
            raise PracticeError("Your e-mail address is not verified at the identity provider.")
        domain = email.rsplit("@", 1)[1].lower()
        allowed = [d.lower().lstrip("@") for d in self.settings.sso_domains]
        if allowed and domain not in allowed:
            raise AccessDenied(f"Accounts from {domain} cannot sign on here.")
        raw_groups = claims.get(self.settings.sso_groups_claim) or []
        groups = [str(g) for g in raw_groups] if isinstance(raw_groups, list) else [str(raw_groups)]
        role = self.sso_role(email, groups)
        team_claim = self.settings.sso_team_claim
        claimed = " ".join(str(claims.get(team_claim) or "").split())[:MAX_TEAM] if team_claim else ""
        username = sso_username(email)
        with self.work() as uow:
            def change() -> User:
                team = self._team(uow, f"sso:{username}", claimed, True)
                user = uow.users.by_username(username)
                if user is not None and user.disabled:
                    raise AccessDenied("This account is disabled: ask an admin.")
                if user is None:
                    user = uow.users.add(username=username, role=role, team=team, password_hash=SSO_ONLY)
                    audit.append(uow.db, actor=f"sso:{username}", action="user.created", subject_type="user",
                                 row=user)
                elif user.password_hash != SSO_ONLY:
                    raise AccessDenied(f"'{username}' is a local account: log in with its password.")
                elif (user.role, user.team) != (role, team if team_claim else user.team):
                    uow.users.update_account(user, full_name=user.full_name, role=role,
                                             team=team if team_claim else user.team)
                    audit.append(uow.db, actor=f"sso:{username}", action="user.role", subject_type="user", row=user)
                return user

            try:
                user = uow.commit(change)
            except IntegrityError:  # the same person signed on twice at once (uow.commit rolled back)
                found = uow.users.by_username(username)
                assert found is not None
                user = found
            return actor_of(user)

    @staticmethod
    def _team(uow: UnitOfWork, by: str, name: str | None, may_add: bool, after: str | None = None) -> str | None:
        """The named team's own spelling; a team the identity provider or the operator names is added if new."""
        cleaned = " ".join((name or "").split())[:MAX_TEAM]
        if not cleaned or not may_add:
            return resolve_team(uow.users, cleaned)
        found = uow.users.team_by_key(team_key(cleaned))
        if found is not None:
            return found.name
        team = uow.users.add_team(name=cleaned, name_key=team_key(cleaned))
        audit.append(uow.db, actor=by, action="team.created", subject_type="team", row=team, after=after)
        return team.name

    def has_users(self) -> bool:
        with self.work() as uow:
            return uow.users.has_any()

    def create_user(self, actor: Actor | None, *, username: str, role: str, password: str,
                    team: str | None = None, full_name: str | None = None, add_team: bool = True) -> Actor:
        """Create an account. Only admins (or the operator's CLI) may, and HR a trainee's (the very first admin:
        :mod:`services.first_run`).

        ``team`` must name an existing team (any case; the team's own spelling is stored). Only the operator's
        tools (``Actor.system()``) may name a new one, which is then added (audited), unless ``add_team`` is
        False (``python -m db create-user`` refuses unknown teams, to catch typos). Bad input raises
        :class:`AccountError` naming the field."""
        may_add = add_team and actor is not None and actor.role == "system"
        require_account_manager(actor, "create accounts")
        assert actor is not None
        if role not in ROLES:
            raise AccountError("role", f"Unknown role '{role}' (choose {', '.join(ROLES[:-1])} or {ROLES[-1]}).")
        require_role_given(actor, role, "create an account for {role}")
        username = new_username(username)
        name = clean_full_name(full_name)
        check_new_password(password)
        by = actor.username
        with self.work() as uow:
            if uow.users.username_taken(username):
                raise AccountError("username", f"The username '{username}' is taken.")
            if not may_add:
                resolve_team(uow.users, team)  # a missing team is refused before the slow hash
            password_hash = _hasher.hash(password)

            def change() -> User:
                seen = audit.chain_end(uow.db)  # a team renamed or deleted meanwhile makes this run again
                team_name = self._team(uow, by, team, may_add, after=seen)
                first = audit.chain_end(uow.db) == seen  # no team was added just now (that entry is chained to seen)
                user = uow.users.add(username=username, role=role, team=team_name, full_name=name,
                                     password_hash=password_hash)
                audit.append(uow.db, actor=by, action="user.created", subject_type="user", row=user,
                             after=seen if first else None)
                return user

            try:
                return actor_of(uow.commit(change))
            except IntegrityError:
                raise AccountError("username", f"The username '{username}' is taken.") from None

    def login(self, username: str, password: str, *, client: str = "unknown", known_device: int | None = None) -> Actor:
        """The user's actor, or a refusal that does not say whether the username exists.

        Limits (see :class:`settings.Settings`): attempts per client address per minute and different accounts
        failed per address per hour (:class:`RateLimited`, counted before anything is looked up), and a lockout of
        the account after ``login_lockout_after`` attempts in a row. Every attempt that is looked up leaves one audit
        event (``login.succeeded``, ``login.failed``, ``login.locked``) with the address; never the password, nor a
        name that is no account (people type passwords into the username field).

        ``known_device``: the account this browser logged in to before (its known-device cookie,
        :meth:`services.login_sessions.LoginSessionService.known_device`); that account's lockout does not stop it,
        so whoever locks an account on purpose does not lock out its owner. The password is checked all the same."""
        wrong = refusal(self.settings)
        limits = self.settings
        name = username.strip().lower()
        reserved = limit_login(self.sessions, limits, client, name[:100])
        with self.work() as uow:
            user = uow.users.by_username(name) if USERNAME.match(name) and len(password) <= MAX_PASSWORD else None
            if user is None:
                if len(password) <= MAX_PASSWORD:
                    _hasher.hash(password)  # the same work either way: no timing hint that the name is unknown
                self._event(uow, "login.failed", None, client, reason="no such account")
                raise wrong
            user_id, now = user.id, utcnow()
            until = now + timedelta(minutes=limits.login_lockout_minutes)
            trusted = known_device is not None and known_device == user_id

            def refuse_locked(reason: str, change: Callable[[], None] | None = None) -> NoReturn:
                _hasher.hash(password)  # the work of a refused unknown name: the lock is not heard in the timing
                self._event(uow, "login.locked", user, client, change, reason=reason)
                raise wrong

            if user.locked_until is not None and user.locked_until > now and not trusted:
                refuse_locked("account locked")
            tries, locked = uow.commit(lambda: uow.users.count_login_try(user_id))  # before the slow check
            if locked is not None and locked > now and not trusted:  # a parallel guess locked it since
                refuse_locked("account locked")
            if tries > limits.login_lockout_after and not trusted:  # parallel guesses past the limit: this one locks
                refuse_locked("too many attempts at once", lambda: uow.users.lock(user_id, until=until))
            try:
                _hasher.verify(user.password_hash, password)
            except (VerificationError, InvalidHashError):
                locks = tries >= limits.login_lockout_after
                self._event(uow, "login.failed", user, client,
                            (lambda: uow.users.lock(user_id, until=until)) if locks else None,
                            reason="wrong password", locked=locks)
                raise wrong from None
            if user.disabled:  # said only to someone who knows the password
                self._event(uow, "login.failed", user, client, reason="account disabled")
                raise AccessDenied("This account is disabled: ask an admin.")
            self._event(uow, "login.succeeded", user, client, lambda: uow.users.clear_failed_logins(user_id))
        reserved.release()
        return actor_of(user)

    def _event(self, uow: UnitOfWork, action: str, user: User | Actor | None, client: str,
               change: Callable[[], None] | None = None, **extra: object) -> None:
        """Commit ``change`` (if any) with one login audit event (chained again if another audited write won)."""
        payload = {"client": client[:64], **extra}
        actor, subject = (user.username, user.id or 0) if user is not None else ("anonymous", 0)

        def write() -> None:
            if change is not None:
                change()
            audit.append_event(uow.db, actor=actor, action=action, subject_type="login", subject_id=subject,
                               extra=payload)

        uow.commit(write)

    def actor(self, user_id: int) -> Actor | None:
        """The account's actor, or None when it is gone or disabled (the page then logs it out)."""
        with self.work() as uow:
            user = uow.users.get(user_id)
            return actor_of(user) if user is not None and not user.disabled else None

    def users(self, actor: Actor) -> list[Actor]:
        require_admin(actor, "list accounts")
        with self.work() as uow:
            return [actor_of(u) for u in uow.users.all()]
