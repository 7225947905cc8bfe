"""A per-client request limit kept in the database, so that every app process (and replica) shares one count.

Fixed windows (a minute by default; the login's failure count uses an hour): each request adds one to its client's
row for the current window (``rate_limits``, primary key ``(bucket, window_start)``) with an atomic
``UPDATE ... SET hits = hits + 1`` (or the first ``INSERT``), in one short transaction, and is refused once the
count passes the limit. Rows of windows that started over two hours ago are deleted on the way. A burst across a
window's edge can reach twice the limit in a window; that is the usual price of fixed windows and enough to stop
anyone guessing codes or passwords.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import utcnow
from db.repositories import Work
from services.views import PracticeError

WINDOW = timedelta(minutes=1)
HOUR = timedelta(hours=1)


#: The client address of a request without one (Streamlit gives none for a connection to localhost).
UNKNOWN = "unknown"
#: Addresses of this machine: the one-click first admin of development is offered only to them.
LOCAL = frozenset({UNKNOWN, "127.0.0.1", "::1"})


def client_key(forwarded: str | None, connection: str | None) -> str:
    """The address the limits count against: the *last* address of the balancer's header when one is configured
    and present (a balancer that appends, as nginx and cloud balancers do, puts the address it saw last; whatever
    the client wrote comes before it), else the connection's. IPv6 addresses count by their /64 network, which
    one subscriber usually holds whole; an IPv4 client of a dual-stack server arrives IPv4-mapped
    (``::ffff:192.0.2.1``) and counts as its IPv4 address, never as the mapped form's /64 (``::/64``, every IPv4
    client at once)."""
    last = forwarded.split(",")[-1].strip() if forwarded else ""
    address = last or connection or UNKNOWN
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    if parsed.version == 6 and not parsed.is_loopback:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class RateLimited(PracticeError):
    """Too many requests from one client (or for one account) in the current window; nothing was looked up."""


def window_start(now: datetime, window: timedelta = WINDOW) -> datetime:
    if window == HOUR:
        return now.replace(minute=0, second=0, microsecond=0)
    return now.replace(second=0, microsecond=0)


def seconds_left(now: datetime, window: timedelta = WINDOW) -> int:
    """Seconds until the current window ends (at least 1)."""
    return max(1, int((window_start(now, window) + window - now).total_seconds()) + 1)


def count(sessions: sessionmaker[Session], bucket: str, *, window: timedelta = WINDOW,
          now: datetime | None = None) -> int:
    """How many requests ``bucket`` has counted in the current window (a read: nothing is added)."""
    now = now or utcnow()
    with Work(sessions)() as uow:
        return uow.users.hits(bucket=bucket[:120], window_start=window_start(now, window))


def add(sessions: sessionmaker[Session], bucket: str, *, window: timedelta = WINDOW,
        now: datetime | None = None) -> int:
    """Count one request of ``bucket`` in the current window; the window's count so far (this one included)."""
    now = now or utcnow()
    start = window_start(now, window)
    with Work(sessions)() as uow:
        for _ in range(3):
            try:
                return uow.commit(lambda: uow.users.count_hit(bucket=bucket[:120], window_start=start,
                                                              purge_before=now - timedelta(hours=2)))
            except IntegrityError:  # another process inserted this window's row first (rolled back): count on it
                continue
    return 1 << 30  # three collisions in a row: treat as over any limit


def take_back(sessions: sessionmaker[Session], bucket: str, *, window: timedelta = WINDOW,
              now: datetime | None = None) -> None:
    """Undo one :func:`add` of the current window (a reserved attempt that turned out fine)."""
    now = now or utcnow()
    with Work(sessions)() as uow:
        uow.commit(lambda: uow.users.uncount_hit(bucket=bucket[:120], window_start=window_start(now, window)))


def hit(sessions: sessionmaker[Session], bucket: str, *, limit: int, now: datetime | None = None,
        window: timedelta = WINDOW) -> int:
    """Count one request of ``bucket``; 0 if it is within ``limit`` per window (a minute unless ``window`` is
    :data:`HOUR`), else the seconds until the next window (the request is refused). ``limit`` 0 is no limit:
    nothing is counted (a setting only development accepts)."""
    if limit <= 0:
        return 0
    now = now or utcnow()
    if add(sessions, bucket, window=window, now=now) <= limit:
        return 0
    return seconds_left(now, window)
