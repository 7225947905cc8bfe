"""A per-client request limit kept in the database, so that every app process (and replica) shares one count.

Fixed one-minute windows: each request adds one to its client's row for the current minute (``rate_limits``,
primary key ``(bucket, window_start)``) with an atomic ``UPDATE ... SET hits = hits + 1`` (or the first
``INSERT``), in one short transaction, and is refused once the count passes the limit. Rows older than an hour
are deleted on the way. A burst across a window's edge can reach twice the limit in a minute; that is the
usual price of fixed windows and enough to stop anyone guessing codes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import utcnow
from db.repositories import Work

WINDOW = timedelta(minutes=1)


def window_start(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def hit(sessions: sessionmaker[Session], bucket: str, *, limit: int, now: datetime | None = None) -> int:
    """Count one request of ``bucket``; 0 if it is within ``limit`` per minute, else the seconds until the next
    window (the request is refused)."""
    now = now or utcnow()
    start = window_start(now)
    bucket = bucket[:120]
    with Work(sessions)() as uow:
        for _ in range(3):
            try:
                hits = uow.commit(lambda: uow.users.count_hit(bucket=bucket, window_start=start,
                                                              purge_before=start - timedelta(hours=1)))
            except IntegrityError:  # another process inserted this window's row first (rolled back): count on it
                continue
            break
        else:
            return 1
    if hits <= limit:
        return 0
    return max(1, int((start + WINDOW - now).total_seconds()) + 1)
