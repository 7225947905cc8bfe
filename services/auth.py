"""Accounts: create users, log in (argon2 hashes, lockout after repeated failures), and the acting user.

Authorization itself lives in each service: every call takes the acting user and checks it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db import audit
from db import repository as repo
from db.models import User, utcnow
from services.views import PracticeError
from settings import Settings

Role = Literal["trainee", "trainer", "admin"]
ROLES: tuple[Role, ...] = ("trainee", "trainer", "admin")
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 8
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
#: Stored instead of a password hash for accounts that sign on through the identity provider only.
SSO_ONLY = "!sso"
_hasher = PasswordHasher()


class AccessDenied(PracticeError):
    """The acting user may not do this."""


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
        return self.role in ("trainer", "admin", "system")


def _actor(user: User) -> Actor:
    return Actor(user.id, user.username, user.role, user.team)  # type: ignore[arg-type]


def sso_username(email: str) -> str:
    """The account name for an e-mail address (usernames are at most 40 characters)."""
    email = email.strip().lower()
    if len(email) <= 40:
        return email
    return email[:31] + "~" + hashlib.sha256(email.encode()).hexdigest()[:8]


class AuthService:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings | None = None) -> None:
        self.sessions = sessions
        self.settings = settings or Settings()

    def sso_role(self, email: str, groups: list[str]) -> Role:
        """The role the configuration gives this identity: admin, then trainer, else trainee."""
        names = {email.lower(), *(g.lower() for g in groups)}
        if names & {a.lower() for a in self.settings.sso_admins}:
            return "admin"
        if names & {t.lower() for t in self.settings.sso_trainers}:
            return "trainer"
        return "trainee"

    def sso_login(self, claims: Mapping[str, object]) -> Actor:
        """The account for an identity the provider vouched for (``st.user``), created on first sign-on.

        The role (and team, when a team claim is configured) follows the configuration at every sign-on, so
        taking someone out of ``SSO_ADMINS`` takes effect the next time they sign on.
        """
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
        team = str(claims.get(team_claim) or "")[:60] or None if team_claim else None
        username = sso_username(email)
        with self.sessions() as db:
            def change() -> User:
                user = db.scalar(select(User).where(User.username == username))
                if user is None:
                    user = User(username=username, role=role, team=team, password_hash=SSO_ONLY)
                    audit.append(db, actor=f"sso:{username}", action="user.created", subject_type="user", row=user)
                elif user.password_hash != SSO_ONLY:
                    raise AccessDenied(f"'{username}' is a local account: log in with its password.")
                elif (user.role, user.team) != (role, team if team_claim else user.team):
                    user.role = role
                    if team_claim:
                        user.team = team
                    audit.append(db, actor=f"sso:{username}", action="user.role", subject_type="user", row=user)
                return user

            try:
                user = repo.commit_audited(db, change)
            except IntegrityError:  # the same person signed on twice at once
                db.rollback()
                found = db.scalar(select(User).where(User.username == username))
                assert found is not None
                user = found
            return _actor(user)

    def has_users(self) -> bool:
        with self.sessions() as db:
            return bool(db.scalar(select(func.count()).select_from(User)))

    def create_user(self, actor: Actor | None, *, username: str, role: str, password: str,
                    team: str | None = None) -> Actor:
        """Create an account. Only admins (or the operator's CLI) may, except for the very first admin."""
        if role not in ROLES:
            raise PracticeError(f"Unknown role '{role}' (choose trainee, trainer or admin).")
        first_admin = actor is None and role == "admin" and not self.has_users()
        if not first_admin and (actor is None or actor.role not in ("admin", "system")):
            raise AccessDenied("Only an admin can create accounts.")
        username = username.strip().lower()
        if not USERNAME.match(username):
            raise PracticeError("Usernames are 3-40 characters: lower-case letters, digits, '.', '_' or '-'.")
        if len(password) < MIN_PASSWORD:
            raise PracticeError(f"Passwords need at least {MIN_PASSWORD} characters.")
        password_hash = _hasher.hash(password)
        by = actor.username if actor is not None else username
        with self.sessions() as db:
            def change() -> User:
                user = User(username=username, role=role, team=(team or None), password_hash=password_hash)
                audit.append(db, actor=by, action="user.created", subject_type="user", row=user)
                return user

            try:
                return _actor(repo.commit_audited(db, change))
            except IntegrityError:
                raise PracticeError(f"The username '{username}' is taken.") from None

    def login(self, username: str, password: str) -> Actor:
        """The user's actor, or a refusal that does not say whether the username exists."""
        wrong = PracticeError("Wrong username or password.")
        with self.sessions() as db:
            user = db.scalar(select(User).where(User.username == username.strip().lower()))
            if user is None:
                _hasher.hash(password)  # the same work either way: no timing hint that the name is unknown
                raise wrong
            now = utcnow()
            if user.locked_until is not None and user.locked_until > now:
                minutes = max(1, round((user.locked_until - now).total_seconds() / 60))
                raise PracticeError(f"Too many failed attempts: try again in {minutes} minute(s).")
            try:
                _hasher.verify(user.password_hash, password)
            except (VerificationError, InvalidHashError):
                user.failed_logins += 1
                if user.failed_logins >= MAX_FAILED_LOGINS:
                    user.locked_until, user.failed_logins = now + LOCKOUT, 0
                db.commit()
                raise wrong from None
            user.failed_logins, user.locked_until = 0, None
            db.commit()
            return _actor(user)

    def actor(self, user_id: int) -> Actor | None:
        with self.sessions() as db:
            user = db.get(User, user_id)
            return _actor(user) if user else None

    def users(self, actor: Actor) -> list[Actor]:
        if actor.role not in ("admin", "system"):
            raise AccessDenied("Only an admin can list accounts.")
        with self.sessions() as db:
            return [_actor(u) for u in db.scalars(select(User).order_by(User.username))]
