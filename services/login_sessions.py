"""Password logins that survive a reload or a new tab.

A password login opens a *login session*: a ``login_sessions`` row holding the hash of a one-time code that the
browser exchanges (``POST /auth/session``, served by ``server.py``) for an HTTP-only cookie.  The cookie carries the
row's id and a random token, signed with ``SESSION_SECRET`` (itsdangerous, with a timestamp); the row keeps only the
token's hash.  A fresh browser session (a reload, a new tab) that presents the cookie is logged in again if the
signature holds, the row is neither revoked nor expired, and its account still exists and is enabled.  Logout
revokes the row (and ``/auth/logout`` clears the cookie); an admin's "sign out everywhere" revokes every row of an
account, which also ends browser sessions that are still open at their next interaction.  Nothing here touches
Streamlit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session, sessionmaker

from db.models import utcnow
from db.repositories import Work
from services.auth import Actor, require_admin
from services.views import PracticeError
from settings import Settings

#: The cookie's name (HttpOnly, SameSite=Lax, Path=/).
COOKIE_NAME = "practice_login"
#: The known-device cookie: this browser logged in to an account with its password before (kept after logout).
#: A lockout after failed logins does not stop that browser, so a stranger who locks an account on purpose does
#: not lock its owner out (OWASP's "device cookies"); the password is still checked.
DEVICE_COOKIE_NAME = "practice_device"
DEVICE_LIFETIME = timedelta(days=180)
_DEVICE_SALT = "practice-known-device"
#: How long the one-time code handed to the browser may wait to be exchanged for the cookie.
CODE_LIFETIME = timedelta(minutes=2)
_SALT = "practice-login-session"
_SECRET_FILE = "session_secret"


class LoginRefused(PracticeError):
    """A saved login cannot be used any more; the message says why, for the login form."""


@dataclass(frozen=True)
class LoginTicket:
    """A new login session and the one-time code this browser exchanges for its cookie."""

    login_session_id: int
    code: str


@dataclass(frozen=True)
class SessionCookie:
    """What ``Set-Cookie`` carries: the signed value and its remaining life in seconds."""

    value: str
    max_age: int
    #: The known-device cookie's value for the same account (its life is :data:`DEVICE_LIFETIME`).
    device: str = ""


@dataclass(frozen=True)
class ResumedLogin:
    """A browser session logged in again from its cookie."""

    actor: Actor
    login_session_id: int


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def session_secret(settings: Settings) -> str:
    """``SESSION_SECRET``, or (for development) a random secret generated once and kept in ``DATA_DIR``."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    path = Path(settings.data_dir) / _SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


class LoginSessionService:
    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self.sessions = sessions
        self.work = Work(sessions)
        self.settings = settings
        self.lifetime = timedelta(days=settings.session_days)
        self._serializer = URLSafeTimedSerializer(session_secret(settings), salt=_SALT)
        self._devices = URLSafeTimedSerializer(session_secret(settings), salt=_DEVICE_SALT)

    def open(self, actor: Actor) -> LoginTicket:
        """Start a login session for a user who has just proved who they are (password or first-admin form).

        Expired rows of every account are removed in the same transaction, so the table stays small.
        """
        if actor.id is None:
            raise PracticeError("Only an account can stay logged in.")
        code = secrets.token_urlsafe(32)
        now = utcnow()
        with self.work() as uow:
            uow.users.delete_expired_logins(now)
            row = uow.users.add_login(user_id=actor.id, code_hash=_sha(code), code_expires_at=now + CODE_LIFETIME,
                                      created_at=now, expires_at=now + self.lifetime)
            uow.commit()
            return LoginTicket(row.id, code)

    def exchange(self, code: str) -> SessionCookie | None:
        """The cookie for a one-time code (None if the code is unknown, used, expired or its session ended)."""
        if not code or len(code) > 200:
            return None
        code_hash, token, now = _sha(code), secrets.token_urlsafe(32), utcnow()
        with self.work() as uow:
            row = uow.users.login_by_code(code_hash)
            if row is None or row.revoked_at is not None or row.code_expires_at is None \
                    or row.code_expires_at < now or row.expires_at <= now:
                return None
            if not uow.users.claim_code(login_session_id=row.id, code_hash=code_hash, token_hash=_sha(token)):
                return None  # the same code exchanged twice at once (the unit of work is rolled back)
            uow.commit()
            value = self._serializer.dumps([row.id, token])
            return SessionCookie(value, max(1, int((row.expires_at - now).total_seconds())),
                                 device=self._devices.dumps([row.user_id]))

    def known_device(self, cookie: str | None) -> int | None:
        """The account whose password this browser entered before (its known-device cookie), or None for no,
        a forged, or an expired cookie. A read: nothing is looked up or stored."""
        if not cookie or len(cookie) > 500:
            return None
        try:
            payload = self._devices.loads(cookie, max_age=int(DEVICE_LIFETIME.total_seconds()))
        except (BadSignature, ValueError, json.JSONDecodeError):
            return None
        if isinstance(payload, list) and len(payload) == 1 and type(payload[0]) is int:
            return int(payload[0])
        return None

    def resume(self, cookie: str) -> ResumedLogin:
        """Log a fresh browser session in from its cookie, or say (for the login form) why not."""
        try:
            payload = self._serializer.loads(cookie, max_age=int(self.lifetime.total_seconds()))
        except SignatureExpired:
            raise LoginRefused("Your login has expired: please log in again.") from None
        except (BadSignature, ValueError, json.JSONDecodeError):
            raise LoginRefused("Your saved login could not be verified: please log in again.") from None
        if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)
                and isinstance(payload[1], str)):
            raise LoginRefused("Your saved login could not be verified: please log in again.")
        login_session_id, token = payload
        with self.work() as uow:
            row = uow.users.login(login_session_id)
            if row is None or row.token_hash is None or not hmac.compare_digest(row.token_hash, _sha(token)):
                raise LoginRefused("You were signed out: please log in again.")
            if row.revoked_at is not None:
                if row.revoked_reason == "admin":
                    raise LoginRefused("An admin signed you out: please log in again.")
                raise LoginRefused("You were signed out: please log in again.")
            if row.expires_at <= utcnow():
                raise LoginRefused("Your login has expired: please log in again.")
            user = uow.users.get(row.user_id)
            if user is None:
                raise LoginRefused("This account no longer exists.")
            if user.disabled:
                raise LoginRefused("This account is disabled: ask an admin.")
            actor = Actor(user.id, user.username, user.role, user.team)  # type: ignore[arg-type]
            return ResumedLogin(actor, row.id)

    def is_active(self, login_session_id: int) -> bool:
        """Whether a browser session logged in through this login session may go on (not revoked, not expired)."""
        with self.work() as uow:
            row = uow.users.login(login_session_id)
            return row is not None and row.revoked_at is None and row.expires_at > utcnow()

    def end(self, actor: Actor, login_session_id: int) -> None:
        """Log out: the user's own login session is revoked, so its cookie no longer logs anyone in."""
        with self.work() as uow:
            uow.users.revoke_login(login_session_id=login_session_id, user_id=actor.id, reason="logout")
            uow.commit()

    def end_by_cookie(self, cookie: str) -> None:
        """Log out from the cookie itself (``/auth/logout``); an unreadable or forged cookie changes nothing."""
        try:
            payload = self._serializer.loads(cookie)
            login_session_id, token = payload
        except (BadSignature, ValueError, TypeError, json.JSONDecodeError):
            return
        if isinstance(login_session_id, int) and isinstance(token, str):
            with self.work() as uow:
                uow.users.revoke_login_by_token(login_session_id=login_session_id, token_hash=_sha(token),
                                                reason="logout")
                uow.commit()

    def revoke_user(self, actor: Actor, user_id: int) -> int:
        """An admin signs an account out everywhere: every open login session of it is revoked. Returns how many."""
        require_admin(actor, "sign accounts out")
        with self.work() as uow:
            revoked = uow.users.revoke_user_logins(user_id=user_id, reason="admin")
            uow.commit()
            return revoked

    def active_count(self, actor: Actor, user_id: int) -> int:
        """How many browsers an account is currently logged in on with a password (for the admin)."""
        require_admin(actor, "sign accounts out")
        with self.work() as uow:
            return uow.users.count_active_logins(user_id=user_id, now=utcnow())
