"""Users, teams, login sessions and rate-limit counters: their queries. Adds and flushes, never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from db.models import Team, User, utcnow
from db.models_access import LoginSession, RateLimit, SetupToken

#: Why a login session was revoked: its user logged out, or an admin signed the account out everywhere.
RevokeReason = Literal["logout", "admin"]


class UserRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    # -- users ----------------------------------------------------------------------------------
    def get(self, user_id: int | None) -> User | None:
        return self.db.get(User, user_id) if user_id is not None else None

    def by_username(self, username: str) -> User | None:
        return self.db.scalar(select(User).where(User.username == username))

    def by_usernames(self, usernames: list[str]) -> dict[str, User]:
        return {u.username: u for u in self.db.scalars(select(User).where(User.username.in_(usernames)))}

    def username_taken(self, username: str) -> bool:
        return self.db.scalar(select(User.id).where(User.username == username)) is not None

    def has_any(self) -> bool:
        """Whether any account exists (the first admin is created without one)."""
        return bool(self.db.scalar(select(func.count()).select_from(User)))

    def all(self) -> Sequence[User]:
        """Every account, by username."""
        return self.db.scalars(select(User).order_by(User.username)).all()

    def count_enabled_admins(self, excluding: int) -> int:
        """Enabled admins other than the account ``excluding`` (an id)."""
        return self.db.scalar(select(func.count()).select_from(User).where(
            User.role == "admin", User.disabled.is_(False), User.id != excluding)) or 0

    def add(self, *, username: str, role: str, team: str | None, password_hash: str,
            full_name: str | None = None) -> User:
        """A new account in the transaction (its audit entry, which flushes it, is the caller's)."""
        user = User(username=username, role=role, team=team, full_name=full_name, password_hash=password_hash)
        self.db.add(user)
        return user

    def update_account(self, user: User, *, full_name: str | None, role: str, team: str | None) -> None:
        user.full_name, user.role, user.team = full_name, role, team

    def set_disabled(self, user: User, *, disabled: bool) -> None:
        user.disabled = disabled

    def set_password(self, user: User, *, password_hash: str) -> None:
        """A new password hash; a lockout and the count of failed logins are lifted with it."""
        user.password_hash, user.failed_logins, user.locked_until = password_hash, 0, None

    def count_login_try(self, user_id: int) -> tuple[int, datetime | None]:
        """Add one to the account's login attempts in a row (an atomic increment, before the password is checked,
        so parallel guesses cannot read the same count); the new count and the account's lock as it is now (a
        lock committed by a parallel guess since this request read the account included)."""
        counted = self.db.execute(update(User).where(User.id == user_id)
                                  .values(failed_logins=User.failed_logins + 1)
                                  .returning(User.failed_logins, User.locked_until)).one_or_none()
        if counted is None:  # the account was deleted since this request read it: like a wrong password
            return 1 << 30, None
        return int(counted[0]), counted[1]

    def lock(self, user_id: int, *, until: datetime) -> None:
        """Lock the account until ``until``; its count of attempts starts again."""
        self.db.execute(update(User).where(User.id == user_id).values(locked_until=until, failed_logins=0))

    def clear_failed_logins(self, user_id: int) -> None:
        self.db.execute(update(User).where(User.id == user_id).values(failed_logins=0, locked_until=None))

    # -- setup tokens ---------------------------------------------------------------------------
    def add_setup_token(self, *, token_hash: str, created_at: datetime, expires_at: datetime) -> None:
        self.db.add(SetupToken(token_hash=token_hash, created_at=created_at, expires_at=expires_at))

    def setup_token_usable(self, token_hash: str, now: datetime) -> bool:
        """Whether this token is unused and unexpired (a read: the write that uses it checks again)."""
        return self.db.scalar(select(SetupToken.id).where(SetupToken.token_hash == token_hash,
                                                          SetupToken.used_at.is_(None),
                                                          SetupToken.expires_at > now)) is not None

    def use_setup_tokens(self, now: datetime) -> list[str]:
        """Mark every unused, unexpired setup token used (one creates the first admin: the others stop working);
        the hashes of those marked. Concurrent callers update the same rows, so all but one find none left."""
        used = self.db.execute(update(SetupToken).where(SetupToken.used_at.is_(None), SetupToken.expires_at > now)
                               .values(used_at=now).returning(SetupToken.token_hash))
        return [str(h) for h in used.scalars()]

    # -- teams ----------------------------------------------------------------------------------
    def team(self, team_id: int) -> Team | None:
        return self.db.get(Team, team_id)

    def team_by_key(self, name_key: str) -> Team | None:
        """The team whose ``name_key`` (its name without case and runs of spaces) is this."""
        return self.db.scalar(select(Team).where(Team.name_key == name_key))

    def teams(self) -> list[Team]:
        """Every team, by name without regard to case."""
        return sorted(self.db.scalars(select(Team)), key=lambda t: t.name.casefold())

    def team_names(self) -> list[str]:
        """Every team's name, sorted without regard to case."""
        return sorted(self.db.scalars(select(Team.name)), key=str.casefold)

    def add_team(self, *, name: str, name_key: str) -> Team:
        """A new team in the transaction (its audit entry, which flushes it, is the caller's)."""
        team = Team(name=name, name_key=name_key)
        self.db.add(team)
        return team

    def rename_team(self, team: Team, *, name: str, name_key: str) -> None:
        team.name, team.name_key = name, name_key

    def members(self, team: str) -> Sequence[User]:
        """The accounts in a team (disabled ones included), by id."""
        return self.db.scalars(select(User).where(User.team == team).order_by(User.id)).all()

    def count_members(self, team: str) -> int:
        return self.db.scalar(select(func.count()).select_from(User).where(User.team == team)) or 0

    def member_counts(self) -> dict[str, int]:
        """{team name: accounts in it}, for teams with any."""
        rows = self.db.execute(select(User.team, func.count()).where(User.team.is_not(None)).group_by(User.team))
        return {team: count for team, count in rows.all() if team is not None}

    def set_team(self, user: User, *, team: str | None) -> None:
        user.team = team

    # -- login sessions ("stay signed in" cookies) -------------------------------------------------
    def login(self, login_session_id: int) -> LoginSession | None:
        return self.db.get(LoginSession, login_session_id)

    def login_by_code(self, code_hash: str) -> LoginSession | None:
        return self.db.scalar(select(LoginSession).where(LoginSession.code_hash == code_hash))

    def add_login(self, *, user_id: int, code_hash: str, code_expires_at: datetime, created_at: datetime,
                  expires_at: datetime) -> LoginSession:
        """A new login session (flushed: it has its id)."""
        row = LoginSession(user_id=user_id, code_hash=code_hash, code_expires_at=code_expires_at,
                           created_at=created_at, expires_at=expires_at)
        self.db.add(row)
        self.db.flush()
        return row

    def delete_expired_logins(self, now: datetime) -> None:
        """Remove the login sessions of every account that expired before ``now``."""
        self.db.execute(delete(LoginSession).where(LoginSession.expires_at < now))

    def claim_code(self, *, login_session_id: int, code_hash: str, token_hash: str) -> bool:
        """Trade the one-time code for the token: False if the code was used meanwhile (exchanged twice at once)."""
        taken: CursorResult[Any] = self.db.execute(  # type: ignore[assignment]
            update(LoginSession)
            .where(LoginSession.id == login_session_id, LoginSession.code_hash == code_hash)
            .values(code_hash=None, code_expires_at=None, token_hash=token_hash))
        return taken.rowcount == 1

    def count_active_logins(self, *, user_id: int, now: datetime) -> int:
        """The account's login sessions neither revoked nor expired at ``now``."""
        return self.db.scalar(select(func.count()).select_from(LoginSession).where(
            LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None),
            LoginSession.expires_at > now)) or 0

    def revoke_login(self, *, login_session_id: int, user_id: int | None, reason: RevokeReason) -> int:
        """Revoke one login session if it is open and belongs to ``user_id``; how many were revoked (0 or 1)."""
        return self._revoke([LoginSession.id == login_session_id, LoginSession.user_id == user_id], reason)

    def revoke_login_by_token(self, *, login_session_id: int, token_hash: str, reason: RevokeReason) -> int:
        """Revoke one login session if it is open and its token has this hash; how many were revoked (0 or 1)."""
        return self._revoke([LoginSession.id == login_session_id, LoginSession.token_hash == token_hash], reason)

    def revoke_user_logins(self, *, user_id: int, reason: RevokeReason) -> int:
        """Revoke every open login session of an account; how many there were."""
        return self._revoke([LoginSession.user_id == user_id], reason)

    def _revoke(self, where: list[Any], reason: RevokeReason) -> int:
        result: CursorResult[Any] = self.db.execute(  # type: ignore[assignment]
            update(LoginSession).where(*where, LoginSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_reason=reason))
        return int(result.rowcount)

    # -- rate limits ------------------------------------------------------------------------------
    def hits(self, *, bucket: str, window_start: datetime) -> int:
        """The count of ``bucket`` for the window starting at ``window_start`` (0 when it has none)."""
        return self.db.scalar(select(RateLimit.hits).where(RateLimit.bucket == bucket,
                                                           RateLimit.window_start == window_start)) or 0

    def uncount_hit(self, *, bucket: str, window_start: datetime) -> None:
        """Take one request back from ``bucket``'s count for the window (never below 0)."""
        self.db.execute(update(RateLimit).where(RateLimit.bucket == bucket, RateLimit.window_start == window_start,
                                                RateLimit.hits > 0).values(hits=RateLimit.hits - 1))

    def count_hit(self, *, bucket: str, window_start: datetime, purge_before: datetime) -> int:
        """Add one request to ``bucket``'s count for the window (its first adds the row and deletes the windows
        that started before ``purge_before``); the window's count. Raises IntegrityError (at the flush) when
        another process added the window's row first."""
        counted: CursorResult[Any] = self.db.execute(  # type: ignore[assignment]
            update(RateLimit).where(RateLimit.bucket == bucket, RateLimit.window_start == window_start)
            .values(hits=RateLimit.hits + 1))
        if counted.rowcount == 0:
            self.db.add(RateLimit(bucket=bucket, window_start=window_start, hits=1))
            self.db.execute(delete(RateLimit).where(RateLimit.window_start < purge_before))
        self.db.flush()
        return self.db.scalar(select(RateLimit.hits).where(RateLimit.bucket == bucket,
                                                           RateLimit.window_start == window_start)) or 0
