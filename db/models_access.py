"""Storage for access: login sessions behind the "stay signed in" cookie, rate-limit counters and setup tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models import Base, utcnow


class LoginSession(Base):
    """The server side of a password login's "stay signed in" cookie (only hashes of the code and token).

    Created with a one-time ``code_hash`` by the login form; exchanging the code for the cookie sets
    ``token_hash`` and clears the code. Logout and an admin's "sign out everywhere" set ``revoked_at``.
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_expires_at: Mapped[datetime | None]
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(20))


class RateLimit(Base):
    """Requests counted per client (``bucket``) and fixed one-minute window, shared by every app process."""

    __tablename__ = "rate_limits"

    bucket: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True, index=True)
    hits: Mapped[int]


class SetupToken(Base):
    """A one-time token that lets the first admin account be created in the browser (outside development).

    Only its SHA-256 is kept; creating the first admin marks every unused token used."""

    __tablename__ = "setup_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
