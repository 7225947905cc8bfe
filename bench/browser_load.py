"""Many trainees typing at once into the real Streamlit server, each in a headless Chromium page.

Used by ``make bench`` (figures) and by the browser load test (correctness: every message stored once and in
order, no database error on any page). The customer is the scripted one, so the time from Enter to the reply on
screen is the app's own cost: Streamlit's reruns, the services, the database, and Chromium rendering, all on the
same machine.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services import Actor, build_services
from settings import Settings
from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, log_in, serve_process


@dataclass
class BrowserLoad:
    sessions: int
    rounds: int
    database: Path
    waits: list[float] = field(default_factory=list)
    server_cpu_seconds: float = 0.0
    server_rss_mb: float = 0.0
    page_errors: list[str] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.waits)

    @property
    def p95(self) -> float:
        return sorted(self.waits)[min(len(self.waits) - 1, int(len(self.waits) * 0.95))]

    @property
    def cpu_per_turn(self) -> float:
        return self.server_cpu_seconds / max(1, len(self.waits))


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def enter_together(pages: list[Any], n: int, lines: list[str], timeout: float = 120_000) -> list[float]:
    """Round ``n``: type ``lines[i]`` into page ``i`` and press Enter in every page at (nearly) the same moment,
    then wait for every reply on screen; the seconds from each Enter to its reply."""
    started = []
    for page, line in zip(pages, lines, strict=True):
        box = page.locator('[data-testid="stChatInputTextArea"]')
        box.fill(line)
        box.press("Enter")
        started.append(time.perf_counter())
    waits = []
    for page, t0 in zip(pages, started, strict=True):
        page.wait_for_function(f"document.querySelectorAll('[data-testid=stChatMessage]').length >= {2 * n + 1}",
                               timeout=timeout)
        waits.append(time.perf_counter() - t0)
    return waits


def run_browser_load(tmp_path: Path, *, sessions: int = 20, rounds: int = 3) -> BrowserLoad:
    """Log ``sessions`` trainees in, start a chat each, then ``rounds`` times press Enter in every page at
    (nearly) the same moment and wait for every reply on screen."""
    from playwright.sync_api import sync_playwright

    services = build_services(Settings(data_dir=tmp_path / "data"))
    for i in range(sessions):
        services.auth.create_user(Actor.system(), username=f"web{i:02d}", role="trainee", password="password-1")
    result = BrowserLoad(sessions, rounds, tmp_path / "data" / "practice.db")
    with serve_process(tmp_path) as (url, server), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = [browser.new_context().new_page() for _ in range(sessions)]
        for i, page in enumerate(pages):
            page.goto(url)
            log_in(page, f"web{i:02d}", "password-1")
        for page in pages:
            page.get_by_role("button", name="Start new chat").click()
        for page in pages:
            page.locator('[data-testid="stChatMessage"]').first.wait_for(timeout=60_000)
        cpu_before = _cpu_seconds(server.pid)
        for n in range(1, rounds + 1):
            result.waits += enter_together(pages, n, [f"web{i:02d} message {n}: I'm sorry, could you tell me your "
                                                      "order number?" for i in range(sessions)])
        result.server_cpu_seconds = _cpu_seconds(server.pid) - cpu_before
        result.server_rss_mb = _rss_mb(server.pid)
        result.page_errors = [f"web{i:02d}" for i, page in enumerate(pages) if "database" in page.content().lower()]
        browser.close()
    return result


def browser_load_rows() -> list[tuple[str, str, str, str]]:
    import shutil
    import tempfile

    if shutil.which("chromium") is None:
        return [("browser load: chromium is not installed (make chromium)", "", "", "")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        alone = run_browser_load(Path(tmp) / "alone", sessions=1, rounds=6)
    with tempfile.TemporaryDirectory() as tmp:
        crowd = run_browser_load(Path(tmp) / "crowd", sessions=20, rounds=3)
    for load in (alone, crowd):
        rows.append((f"browser: {load.sessions} Chromium session(s), Enter -> reply on screen "
                     f"({len(load.page_errors)} errors)",
                     f"{load.p50 * 1000:.0f} ms", f"{load.p95 * 1000:.0f} ms", str(len(load.waits))))
        rows.append((f"browser: {load.sessions} session(s), Streamlit server CPU per turn / RSS",
                     f"{load.cpu_per_turn * 1000:.0f} ms", f"{load.server_rss_mb:.0f} MB", ""))
    rows.append(("browser: reply time ratio, 20 at once vs alone (server and Chromium on 2 cores)",
                 f"{crowd.p50 / alone.p50:.1f}x", "", ""))
    return rows
