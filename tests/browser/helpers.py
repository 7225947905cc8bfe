"""The app served by ``streamlit run`` and driven by Debian's headless Chromium: used by the browser tests and by
``make bench`` (the browser load rows)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def log_in(page: Any, username: str, password: str, timeout: float = 60_000) -> None:
    """Fill the login form (username, password) and submit it, unless the page is already logged in as
    ``username`` (a password login survives reloads and new tabs through its cookie)."""
    form = page.get_by_role("button", name="Log in", exact=True)
    logged_in = page.get_by_text(f"Logged in as {username} (")
    form.or_(logged_in).first.wait_for(timeout=timeout)
    if not form.count() and logged_in.count():
        return
    fields = page.locator('[data-testid="stTextInputRootElement"] input')
    fields.nth(0).fill(username)
    fields.nth(1).fill(password)
    page.get_by_role("button", name="Log in").click()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def send(page: Any, text: str, at_least: int, timeout: float = 60_000) -> None:
    """Type ``text`` into the chat box, press Enter, and wait until the page shows ``at_least`` chat messages."""
    box = page.locator('[data-testid="stChatInputTextArea"]')
    box.fill(text)
    box.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('[data-testid=stChatMessage]').length >= {at_least}",
                           timeout=timeout)
    settle(page)


def finish(page: Any) -> None:
    """Open the report: end the chat, or, if the satisfied customer ended it, follow the page's own button (the
    page may still be redrawing into that state, so each way is tried in turn)."""
    see = page.get_by_role("button", name="See your report")
    end = page.get_by_role("button", name="End chat and see my report")
    for _ in range(6):
        see.or_(end).first.wait_for(timeout=60_000)
        try:
            if see.count():
                see.click(timeout=5_000)
            else:
                end.click(timeout=5_000)
                page.get_by_role("button", name="Yes, end the chat and grade it").click(timeout=5_000)
            return
        except Exception:  # replaced while clicking: look again
            settle(page)
    raise AssertionError("neither way to the report could be clicked")


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports (a cluster's balancer and its replicas)."""
    import random

    from deploy.cluster import port_free

    for _ in range(50):
        first = random.randint(20_000, 50_000)
        if all(port_free(port) for port in range(first, first + count)):
            return first
    raise RuntimeError(f"no {count} consecutive free ports")


def replica_of(context: Any) -> str:
    """Which replica the load balancer's sticky cookie ties this browser context to (``r1``, ``r2`` …)."""
    from deploy.cluster import REPLICA_COOKIE

    return str(next(c["value"] for c in context.cookies() if c["name"] == REPLICA_COOKIE))


def record_websockets(page: Any) -> list[list[int]]:
    """Per websocket ``page`` opens from now on, the size of every message the server sent on it."""
    received: list[list[int]] = []

    def watch(socket: Any) -> None:
        sizes: list[int] = []
        received.append(sizes)
        socket.on("framereceived", lambda frame: sizes.append(len(frame)))

    page.on("websocket", watch)
    return received


def redrawn_after_reconnect(page: Any, received: list[list[int]], timeout: float = 60.0) -> bool:
    """Wait until the page opened a new websocket and the server drew the page on it (over 2 kB of messages),
    before anyone touched the page: a replica that took the browser over has shown it again."""
    deadline = time.monotonic() + timeout
    while (len(received) < 2 or sum(received[-1]) < 2_000) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    return len(received) >= 2 and sum(received[-1]) >= 2_000


@contextmanager
def serve_process(tmp_path: Path, env: dict[str, str] | None = None, args: tuple[str, ...] = (),
                  port: int | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``streamlit run server.py`` (the app plus its login-cookie routes, as ``make run`` starts it) on ``port``
    (a free one by default) with its own data directory; yields the URL and the server process."""
    port = port or free_port()
    full_env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "server.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", *args],
        cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError("streamlit did not start: " + (proc.stdout.read().decode() if proc.stdout else ""))
    try:
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def serve(tmp_path: Path, env: dict[str, str] | None = None, args: tuple[str, ...] = (),
          port: int | None = None) -> Iterator[str]:
    """Like :func:`serve_process`, yielding only the URL."""
    with serve_process(tmp_path, env, args, port) as (url, _):
        yield url


def settle(page: Any) -> None:
    """Wait until the app has finished its rerun (a click during one can land on an element being replaced)."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=30_000)


def pick(page: Any, scope: Any, label: str, option: str) -> None:
    """Choose ``option`` in the select box labelled ``label`` inside ``scope``: the dropdown may close again while
    the page finishes a rerun (a loaded machine makes that likely), so it is opened again until the option shows."""
    settle(page)
    for _ in range(3):
        scope.get_by_label(label, exact=True).click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5000)
            return
        except Exception:
            settle(page)
    page.get_by_role("option", name=option, exact=True).click(timeout=5000)
