"""A real headless Chromium (Debian's package) against the app served by `streamlit run`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
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
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_send_a_message_and_see_the_customer_reply(app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is required (make test installs it)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url)
        page.get_by_text("Create the first admin account").wait_for(timeout=30_000)
        fields = page.locator('[data-testid="stTextInputRootElement"] input')
        fields.nth(0).fill("root")
        fields.nth(1).fill("admin-password")
        fields.nth(2).fill("admin-password")
        page.get_by_role("button", name="Create admin and log in").click()
        page.get_by_role("button", name="Start new chat").click()
        messages = page.locator('[data-testid="stChatMessage"]')
        messages.first.wait_for(timeout=30_000)
        box = page.locator('[data-testid="stChatInputTextArea"]')
        box.fill("I'm so sorry about the missed deliveries. Could you give me your order number?")
        box.press("Enter")
        page.wait_for_function("document.querySelectorAll('[data-testid=stChatMessage]').length >= 3",
                               timeout=30_000)
        page.wait_for_timeout(1000)
        texts = [t.strip() for t in messages.all_inner_texts()]
        assert "order number" in texts[1]
        assert "FS-88412" in texts[2]
        assert "session=1" in page.url
        page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
        page.reload()  # a new browser session: log in again, and the link brings the chat back
        page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
        fields.nth(0).fill("root")
        fields.nth(1).fill("admin-password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_function("document.querySelectorAll('[data-testid=stChatMessage]').length >= 3",
                               timeout=30_000)
        assert "FS-88412" in messages.all_inner_texts()[2]
        browser.close()
