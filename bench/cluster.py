"""Through the load balancer (``make cluster``'s layout: HAProxy, N replicas, one PostgreSQL database), the same
browser load with 1 and with 3 replicas, and how long a trainee is away from the chat when its replica is killed.

Each load is ``trainees`` headless Chromium pages that press Enter at the same moment, ``rounds`` times, with the
scripted customer; a turn is one message and its reply on screen. Everything shares this machine's cores
(Chromium, HAProxy, PostgreSQL and the replicas), so the ratio says what one machine can show, not what three
machines would.
"""

from __future__ import annotations

import os
import signal
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.browser_load import enter_together
from deploy.cluster import Cluster, Layout, down, haproxy_path, up
from tests.browser.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    free_ports,
    log_in,
    record_websockets,
    redrawn_after_reconnect,
    replica_of,
)

SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432"
PASSWORD = "bench-password"
#: Polite, patient lines that neither settle the matter nor anger the customer, so no chat ends mid-bench.
LINES = ["I'm sorry about this. Could you tell me your order number?",
         "Thank you. I understand how frustrating two missed deliveries are.",
         "Let me check what happened with the driver's schedule.",
         "I'm looking at the delivery notes now, one moment please.",
         "I can see the order. I'm checking the next free slots for you."]


@dataclass
class ClusterLoad:
    replicas: int
    trainees: int
    seconds: float = 0.0
    waits: list[float] = field(default_factory=list)
    spread: int = 0

    @property
    def turns_per_second(self) -> float:
        return len(self.waits) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.waits)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


@contextmanager
def running(replicas: int, tmp: Path, trainees: int) -> Iterator[Cluster]:
    from services import Actor, build_services
    from settings import Settings

    first = free_ports(replicas + 1)
    # A database per run: this process's pooled connections to an earlier one were cut when it was dropped.
    database = f"practice_bench_{os.getpid()}_{tmp.name}"
    layout = Layout(replicas=replicas, port=first, first_port=first + 1, database=database,
                    server_url=SERVER_URL, state_dir=tmp / f"cluster{replicas}")
    cluster = up(layout, fresh=True)
    try:
        services = build_services(Settings(database_url=layout.database_url, data_dir=tmp / "data"))
        for i in range(trainees):
            services.auth.create_user(Actor.system(), username=f"c{i:02d}", role="trainee", password=PASSWORD)
        yield cluster
    finally:
        down(layout.state_dir, drop=True)


def _open_chat(browser: Any, url: str, name: str) -> tuple[Any, list[list[int]]]:
    """A page logged in as ``name`` with a new chat open, and what its websockets received."""
    page = browser.new_context().new_page()
    received = record_websockets(page)
    page.goto(url)
    log_in(page, name, PASSWORD)
    page.get_by_role("button", name="Start new chat").click()
    page.locator('[data-testid="stChatMessage"]').first.wait_for(timeout=120_000)
    return page, received


def _round(pages: list[Any], n: int) -> list[float]:
    return enter_together(pages, n, [f"{LINES[(n - 1) % len(LINES)]} (c{i:02d}, message {n})"
                                     for i in range(len(pages))], 180_000)


def run_cluster_load(browser: Any, replicas: int, tmp: Path, *, trainees: int = 6, rounds: int = 4) -> ClusterLoad:
    """``trainees`` pages through the balancer of ``replicas`` replicas; the first round warms every replica."""
    result = ClusterLoad(replicas, trainees)
    with running(replicas, tmp, trainees) as cluster:
        pages = [_open_chat(browser, cluster.url, f"c{i:02d}")[0] for i in range(trainees)]
        result.spread = len({replica_of(p.context) for p in pages})
        _round(pages, 1)
        started = time.perf_counter()
        for n in range(2, rounds + 2):
            result.waits += _round(pages, n)
        result.seconds = time.perf_counter() - started
        for page in pages:
            page.context.close()
    return result


def failover_times(browser: Any, tmp: Path, samples: int = 3) -> tuple[list[float], list[float]]:
    """Per sample: SIGKILL to the chat drawn again by another replica, and SIGKILL to the trainee's next reply
    on screen (typed as soon as the box takes it)."""
    back, replied = [], []
    for s in range(samples):
        with running(3, tmp / f"kill{s}", 1) as cluster:
            page, received = _open_chat(browser, cluster.url, "c00")
            _round([page], 1)
            _round([page], 2)
            victim = cluster.replica(replica_of(page.context))
            killed = time.perf_counter()
            os.kill(victim.pid, signal.SIGKILL)
            if not redrawn_after_reconnect(page, received, timeout=120):
                raise RuntimeError("the chat was not drawn again after the replica was killed")
            back.append(time.perf_counter() - killed)
            _round([page], 3)
            replied.append(time.perf_counter() - killed)
            page.context.close()
    return back, replied


def cluster_rows() -> list[tuple[str, str, str, str]]:
    from playwright.sync_api import sync_playwright

    from tests.conftest import _postgres_reachable

    if haproxy_path() is None:
        return [("cluster: HAProxy is not installed (make haproxy)", "", "", "")]
    if not _postgres_reachable():
        return [("cluster: PostgreSQL is not reachable (make postgres)", "", "", "")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        loads = [run_cluster_load(browser, n, Path(tmp) / f"load{n}") for n in (1, 3)]
        back, replied = failover_times(browser, Path(tmp))
        browser.close()
    for load in loads:
        rows.append((f"cluster: {load.replicas} replica(s) behind HAProxy, {load.trainees} Chromium trainees "
                     f"at once (on {load.spread} replica(s)), Enter -> reply on screen",
                     f"{statistics.median(load.waits) * 1000:.0f} ms", f"{load.percentile(0.95) * 1000:.0f} ms",
                     str(len(load.waits))))
        rows.append((f"cluster: {load.replicas} replica(s), turns per second through the balancer",
                     f"{load.turns_per_second:.2f}/s", "", ""))
    rows.append(("cluster: turns per second, 3 replicas vs 1 (same load, one 2-core machine)",
                 f"{loads[1].turns_per_second / loads[0].turns_per_second:.2f}x", "", ""))
    rows.append(("cluster: replica SIGKILLed -> the chat drawn again by another replica",
                 f"{statistics.median(back):.2f} s", f"{max(back):.2f} s (max)", str(len(back))))
    rows.append(("cluster: replica SIGKILLed -> the trainee's next reply on screen",
                 f"{statistics.median(replied):.2f} s", f"{max(replied):.2f} s (max)", str(len(replied))))
    return rows


if __name__ == "__main__":
    for r in cluster_rows():
        print(" | ".join(r))
