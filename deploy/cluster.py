"""The app beyond one machine, run on one machine (``make cluster``): a PostgreSQL database of its own on the local
server, N Streamlit replicas on their own ports, and HAProxy in front on one port with websockets and sticky
sessions by cookie.

Every replica migrates the database as it starts (``python -m deploy replica``: ``db.migrate.upgrade`` under its
lock, then ``streamlit run server.py``), so all of them can start at once on a fresh database. What was started is
written to ``<state_dir>/state.json``; :func:`down` stops exactly those processes (each checked to still be the one
started, by its command line) and nothing else. The signing secrets are generated once into
``<state_dir>/secrets.json`` (mode 0600) and shared by every replica, so a login cookie made by one replica is
honoured by the others.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from server_security import CSP

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("haproxy.cfg")
#: HAProxy's sticky-session cookie: which replica holds this browser's Streamlit session.
REPLICA_COOKIE = "practice_replica"
#: How often each replica looks for personas and rubrics published by another (services.catalog, services.rubrics).
PUBLISH_DELAY_SECONDS = 2.0
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class ClusterError(Exception):
    """Why the cluster cannot start or stop, in words for the operator."""


@dataclass(frozen=True)
class Layout:
    """Where everything goes. Replica ``i`` (from 1) listens on ``first_port + i - 1``."""

    replicas: int = 3
    port: int = 8080
    first_port: int = 8601
    database: str = "practice_cluster"
    server_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432"
    state_dir: Path = ROOT / ".cluster"
    environment: str = "production"

    def __post_init__(self) -> None:
        if not 1 <= self.replicas <= 32:
            raise ClusterError(f"Between 1 and 32 replicas, not {self.replicas}.")
        if not _NAME.match(self.database):
            raise ClusterError(f"'{self.database}' is not a plain database name (lower-case letters, digits, _).")
        ports = [self.port, *self.replica_ports]
        if any(not 1024 <= p <= 65535 for p in ports) or self.port in self.replica_ports:
            raise ClusterError(f"Ports must be 1024-65535 and the balancer's ({self.port}) apart from the "
                               f"replicas' ({self.replica_ports[0]}-{self.replica_ports[-1]}).")

    @property
    def replica_ports(self) -> list[int]:
        return [self.first_port + i for i in range(self.replicas)]

    @property
    def database_url(self) -> str:
        return f"{self.server_url}/{self.database}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Started:
    """One process the cluster started."""

    name: str
    pid: int
    port: int
    log: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    layout: Layout
    replicas: list[Started] = field(default_factory=list)
    balancer: Started | None = None

    @property
    def url(self) -> str:
        return self.layout.url

    def replica(self, name: str) -> Started:
        """The replica called ``name`` (``r1``, ``r2`` …: also the value of its sticky cookie)."""
        for r in self.replicas:
            if r.name == name:
                return r
        raise ClusterError(f"No replica '{name}' (there are {', '.join(r.name for r in self.replicas)}).")

    def save(self) -> None:
        data = {"layout": {**asdict(self.layout), "state_dir": str(self.layout.state_dir)},
                "replicas": [asdict(r) for r in self.replicas],
                "balancer": asdict(self.balancer) if self.balancer else None}
        path = self.layout.state_dir / "state.json"
        path.write_text(json.dumps(data, indent=2))

    @classmethod
    def load(cls, state_dir: Path) -> Cluster | None:
        path = state_dir / "state.json"
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text())
            layout = Layout(**{**data["layout"], "state_dir": Path(data["layout"]["state_dir"])})
            return cls(layout, [Started(**r) for r in data["replicas"]],
                       Started(**data["balancer"]) if data["balancer"] else None)
        except (ValueError, KeyError, TypeError) as exc:
            raise ClusterError(f"{path} is unreadable ({exc}); stop its processes by hand and delete it.") from None

    def running(self) -> list[Started]:
        """The started processes that are still the ones started (alive, same command line)."""
        return [p for p in [*self.replicas, *([self.balancer] if self.balancer else [])] if _ours(p, self.layout)]


def _cmdline(pid: int) -> list[str]:
    try:
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return []  # a zombie: dead, not yet reaped by the process that started it
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _ours(p: Started, layout: Layout) -> bool:
    args = _cmdline(p.pid)
    if p.name == "balancer":
        return bool(args) and Path(args[0]).name == "haproxy" and str(layout.state_dir / "haproxy.cfg") in args
    joined = " ".join(args)
    return ("server.py" in joined and f"--server.port {p.port}" in joined) \
        or ("deploy replica" in joined and f"--port {p.port}" in joined)


def port_free(port: int) -> bool:
    """Nothing listens on ``port`` of 127.0.0.1 (it can be bound now)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def haproxy_path() -> str | None:
    """Debian's HAProxy (in /usr/sbin, which a non-root PATH may lack), or None if it is not installed."""
    return shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)


@contextmanager
def _server(layout: Layout) -> Iterator[Connection]:
    """A connection to the server's ``postgres`` database, outside any transaction (for CREATE/DROP DATABASE);
    a server that cannot be used is a :class:`ClusterError`."""
    engine = create_engine(f"{layout.server_url}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    except SQLAlchemyError as exc:
        raise ClusterError(f"PostgreSQL at {layout.server_url} cannot be used ({type(exc).__name__}: "
                           f"{str(exc).splitlines()[0]}). Is it running? (make postgres)") from None
    finally:
        engine.dispose()


def ensure_database(layout: Layout, *, fresh: bool = False) -> None:
    """Create the cluster's database on the server unless it exists (``fresh``: drop it first)."""
    with _server(layout) as conn:
        if fresh:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{layout.database}" WITH (FORCE)'))
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": layout.database})
        if exists.first() is None:
            conn.execute(text(f'CREATE DATABASE "{layout.database}"'))


def drop_database(layout: Layout) -> None:
    with _server(layout) as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{layout.database}" WITH (FORCE)'))


def _secrets(state_dir: Path) -> dict[str, str]:
    path = state_dir / "secrets.json"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(json.dumps({"session": secrets.token_urlsafe(32), "cookie": secrets.token_urlsafe(32)}))
    loaded: dict[str, str] = json.loads(path.read_text())
    return loaded


def replica_env(layout: Layout, number: int) -> dict[str, str]:
    """The environment of replica ``number``: the same database and secrets as every other, a data dir of its own
    (for caches only: nothing a user does is kept there)."""
    shared = _secrets(layout.state_dir)
    return {**os.environ, "DATABASE_URL": layout.database_url, "DATA_DIR": str(layout.state_dir / f"r{number}"),
            "SESSION_SECRET": shared["session"], "STREAMLIT_SERVER_COOKIE_SECRET": shared["cookie"],
            "ENVIRONMENT": layout.environment, "PUBLIC_URL": layout.url, "CLIENT_IP_HEADER": "X-Forwarded-For",
            "PYTHONUNBUFFERED": "1"}


def haproxy_config(layout: Layout) -> str:
    servers = "\n".join(f"    server r{i} 127.0.0.1:{port} cookie r{i}"
                        for i, port in enumerate(layout.replica_ports, start=1))
    return TEMPLATE.read_text().format(bind="127.0.0.1", port=layout.port, cookie=REPLICA_COOKIE, servers=servers,
                                       csp=CSP)


def _spawn(args: list[str], log: Path, env: dict[str, str] | None = None) -> int:
    with open(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as out:  # it holds the setup token
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    return proc.pid


def _tail(path: str, lines: int = 15) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def up(layout: Layout, *, fresh: bool = False, timeout: float = 180.0) -> Cluster:
    """Start the database, every replica at once and the balancer; return when all answer through the balancer.
    On any failure what was started is stopped again and :class:`ClusterError` says why."""
    layout.state_dir.mkdir(parents=True, exist_ok=True)
    before = Cluster.load(layout.state_dir)
    if before is not None and before.running():
        raise ClusterError(f"A cluster is already running from {layout.state_dir} ({before.url}); "
                           f"stop it first (make cluster-down).")
    haproxy = haproxy_path()
    if haproxy is None:
        raise ClusterError("HAProxy is not installed (make cluster installs Debian's haproxy package).")
    busy = [p for p in [layout.port, *layout.replica_ports] if not port_free(p)]
    if busy:
        raise ClusterError(f"Port(s) {', '.join(map(str, busy))} already in use: choose others "
                           f"(make cluster CLUSTER_PORT=… CLUSTER_FIRST_PORT=…).")
    config = layout.state_dir / "haproxy.cfg"
    config.write_text(haproxy_config(layout))
    check = subprocess.run([haproxy, "-c", "-q", "-f", str(config)], capture_output=True, text=True)
    if check.returncode != 0:
        raise ClusterError(f"HAProxy refused {config}: {(check.stderr or check.stdout).strip()}")
    ensure_database(layout, fresh=fresh)

    cluster = Cluster(layout)
    logs = layout.state_dir / "logs"
    logs.mkdir(mode=0o700, exist_ok=True)
    for i, port in enumerate(layout.replica_ports, start=1):  # all at once: the migration lock orders them
        log = logs / f"r{i}.log"
        log.write_text("")
        pid = _spawn([sys.executable, "-m", "deploy", "replica", "--port", str(port)], log, replica_env(layout, i))
        cluster.replicas.append(Started(f"r{i}", pid, port, str(log)))
    log = logs / "haproxy.log"
    log.write_text("")
    cluster.balancer = Started("balancer", _spawn([haproxy, "-db", "-f", str(config)], log), layout.port, str(log))
    cluster.save()

    deadline = time.monotonic() + timeout
    waiting = [*cluster.replicas, cluster.balancer]
    while waiting:
        waiting = [p for p in waiting if not healthy(p.url)]
        dead = [p for p in waiting if not _ours(p, layout)]
        if dead or time.monotonic() > deadline:
            down(layout.state_dir)
            p = (dead or waiting)[0]
            why = "stopped" if dead else f"did not answer within {timeout:.0f} s"
            raise ClusterError(f"{p.name} (port {p.port}) {why}; its log ({p.log}) ends:\n{_tail(p.log)}")
        time.sleep(0.3)
    return cluster


def stop(p: Started, layout: Layout, sig: signal.Signals = signal.SIGTERM, wait: float = 15.0) -> bool:
    """Send ``sig`` to ``p`` if it is still the process started; after ``wait`` seconds, SIGKILL."""
    if not _ours(p, layout):
        return False
    os.kill(p.pid, sig)
    deadline = time.monotonic() + wait
    while _ours(p, layout):
        if time.monotonic() > deadline:
            os.kill(p.pid, signal.SIGKILL)
            deadline = time.monotonic() + wait
        time.sleep(0.1)
    return True


def down(state_dir: Path, *, drop: bool = False) -> list[str]:
    """Stop exactly what :func:`up` started from ``state_dir`` (the balancer first); ``drop`` also drops the
    cluster's database. Returns what was stopped."""
    cluster = Cluster.load(state_dir)
    if cluster is None:
        return []
    stopped = [f"{p.name} (pid {p.pid}, port {p.port})"
               for p in ([cluster.balancer] if cluster.balancer else []) + cluster.replicas if stop(p, cluster.layout)]
    if drop:
        drop_database(cluster.layout)
        stopped.append(f"database {cluster.layout.database}")
    (state_dir / "state.json").unlink(missing_ok=True)
    return stopped
