"""The first admin account of a new installation.

In development (``ENVIRONMENT=development``, the default of ``make run``) whoever opens the page first creates it,
as before. Anywhere else that would hand the installation to the first stranger who finds the address, so the
browser form also asks for a *setup token*: a random string the server prints to its own log when it starts on a
database without accounts (or ``python -m db setup-token`` prints a new one). Whoever reads that log runs the
server; a visitor does not. Only the token's SHA-256 is stored; it works once and expires after
``SETUP_TOKEN_MINUTES``. Creating the first admin marks every unused token used (each replica of a cluster prints
its own), and tries are limited per client address like logins. ``python -m db create-user`` needs no token: it
has the database already.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from db import audit
from db.models import User, utcnow
from db.repositories import Work
from services.auth import (
    AccountError,
    Actor,
    actor_of,
    check_new_password,
    hash_password,
    limit_login,
    new_username,
)
from services.rate_limit import LOCAL
from services.views import PracticeError
from settings import Settings


class SetupRefused(PracticeError):
    """The setup token is missing, wrong, used or expired."""


def _invalid() -> SetupRefused:
    return SetupRefused("That setup token is not valid: it is wrong, used or expired. Restart the server to have it "
                        "print a new one, or run `python -m db setup-token`.")


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


class FirstRunService:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self.sessions = sessions
        self.work = Work(sessions)
        self.settings = settings

    def needs_token(self, client: str) -> bool:
        """Whether the first admin needs a setup token: always in production; in development only from another
        machine (``make run`` listens on every interface, so a laptop's colleagues could reach the form)."""
        return self.settings.environment != "development" or client not in LOCAL

    def issue_token(self, now: datetime | None = None) -> IssuedToken | None:
        """A new setup token (stored as a hash), or None when accounts exist already."""
        now = now or utcnow()
        token = secrets.token_urlsafe(24)
        expires = now + timedelta(minutes=self.settings.setup_token_minutes)
        with self.work() as uow:
            if uow.users.has_any():
                return None
            uow.users.add_setup_token(token_hash=_digest(token), created_at=now, expires_at=expires)
            uow.commit()
        return IssuedToken(token, expires)

    def create_first_admin(self, *, username: str, password: str, token: str | None, client: str,
                           now: datetime | None = None) -> Actor:
        """The first admin account, when no account exists yet; outside development only with a valid setup token.

        Raises:
            RateLimited: the client address is over its login limits (nothing was checked).
            SetupRefused: no token, or one that is wrong, used or expired (nothing is used up; an audit event
                records the try).
            AccountError: a bad username or password, or an account exists already.
        """
        reserved = limit_login(self.sessions, self.settings, client, "(setup token)")
        username = new_username(username)
        check_new_password(password)
        needs_token = self.needs_token(client)
        if needs_token and not (token or "").strip():
            raise SetupRefused("Enter the setup token: the server printed it to its log when it started (or run "
                               "`python -m db setup-token` on the server).")
        if needs_token and not self._valid(token or "", now or utcnow()):  # before the slow hash; no lock
            self._refused(client)
            raise _invalid()
        password_hash = hash_password(password)
        try:
            admin = self._create(username, password_hash, token if needs_token else None, client, now)
        except SetupRefused:  # used meanwhile (rolled back: nothing was used up)
            self._refused(client)
            raise
        reserved.release()
        return admin

    def _valid(self, token: str, now: datetime) -> bool:
        with self.work() as uow:
            return uow.users.setup_token_usable(_digest(token), now)

    def _create(self, username: str, password_hash: str, token: str | None, client: str,
                now: datetime | None) -> Actor:
        with self.work() as uow:
            def change() -> User:
                when = now or utcnow()
                if token is not None and _digest(token) not in uow.users.use_setup_tokens(when):
                    raise _invalid()
                if uow.users.has_any():
                    raise AccountError("username", "The first admin account exists already: log in.")
                user = uow.users.add(username=username, role="admin", team=None, full_name=None,
                                     password_hash=password_hash)
                audit.append(uow.db, actor=username, action="user.created", subject_type="user", row=user)
                audit.append_event(uow.db, actor=username, action="setup.first_admin", subject_type="setup",
                                   subject_id=user.id, extra={"client": client[:64], "token": token is not None})
                return user

            return actor_of(uow.commit(change))

    def _refused(self, client: str) -> None:
        """Record a refused token: the address and the time, never the token (the address's limits counted it)."""
        with self.work() as uow:
            uow.commit(lambda: audit.append_event(uow.db, actor="anonymous", action="setup.refused",
                                                  subject_type="setup", subject_id=0, extra={"client": client[:64]}))

