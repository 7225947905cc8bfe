"""Accounts: create users, log in (argon2 hashes, lockout after repeated failures), and the acting user.

Authorization itself lives in each service: every call takes the acting user and checks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import User, utcnow
from services.views import PracticeError

Role = Literal["trainee", "trainer", "admin"]
ROLES: tuple[Role, ...] = ("trainee", "trainer", "admin")
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 8
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
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


class AuthService:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

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
        with self.sessions() as db:
            user = User(username=username, role=role, team=(team or None), password_hash=_hasher.hash(password))
            db.add(user)
            try:
                db.commit()
            except IntegrityError:
                db.rollback()
                raise PracticeError(f"The username '{username}' is taken.") from None
            return _actor(user)

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
