"""The practice chat in a real headless Chromium while the customer takes its time, and when the customer ends
the chat: what the trainee sees of their own message and of the end of the conversation."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import ROOT, log_in, serve, settle
from tests.conftest import agent_lines

pytestmark = pytest.mark.browser

BOX = '[data-testid="stChatInputTextArea"]'
MESSAGE = '[data-testid="stChatMessage"]'
PASSWORD = "practice-password"
TRAINEES = ("ann", "bob")

#: Loaded by the server's Python before anything else (PYTHONPATH): while the file named by HOLD_CUSTOMER exists,
#: the customer does not react to the trainee's message (what a busy machine does to the reading of a message,
#: only for as long as the test wants, instead of for a guessed number of seconds).
SLOW_CUSTOMER = '''
import os
import time
from pathlib import Path

from customer.engine import CustomerEngine

_hold = Path(os.environ["HOLD_CUSTOMER"])
_react = CustomerEngine.react


def _held_react(self, *args, **kwargs):
    deadline = time.monotonic() + 120
    while _hold.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return _react(self, *args, **kwargs)


CustomerEngine.react = _held_react
'''


@dataclass
class App:
    url: str
    #: While this file exists the customer is busy: it has not reacted to (nor answered) the trainee's message.
    hold: Path


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """One server for the module (the scripted customer, slowed at will); each test logs in as its own trainee."""
    from services import Actor, build_services
    from settings import Settings

    tmp = tmp_path_factory.mktemp("chat-turns")
    services = build_services(Settings(data_dir=tmp / "data"))
    for name in TRAINEES:
        services.auth.create_user(Actor.system(), username=name, role="trainee", password=PASSWORD)
    hooks = tmp / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SLOW_CUSTOMER)
    hold = tmp / "hold-the-customer"
    path = os.pathsep.join(p for p in (str(hooks), str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    with serve(tmp, {"PYTHONPATH": path, "HOLD_CUSTOMER": str(hold)}) as url:
        yield App(url, hold)


def open_chat(browser: Any, app: App, name: str, width: int, height: int) -> Any:
    """A new browser for ``name``, logged in, with a chat just started with the default customer (Derek)."""
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(app.url)
    log_in(page, name, PASSWORD)
    page.get_by_role("button", name="Start new chat").click()
    page.locator(MESSAGE).first.wait_for(timeout=60_000)
    settle(page)
    return page


def test_the_trainees_message_shows_at_once_while_the_customer_is_still_busy(browser: Any, app: App) -> None:
    page = open_chat(browser, app, "ann", 1300, 900)
    sent = "I'm so sorry about the missed deliveries. Could you give me your order number?"
    app.hold.touch()  # the customer is busy from now on
    try:
        box = page.locator(BOX)
        box.fill(sent)
        box.press("Enter")
        # The trainee's message, shown (as theirs) while the customer is still busy with it.
        page.get_by_role("group", name="Chat message from user").filter(has_text=sent).wait_for(timeout=60_000)
        assert page.locator(MESSAGE).count() == 2, "the customer answered before it was let go"
    finally:
        app.hold.unlink(missing_ok=True)
    page.locator(MESSAGE).nth(2).filter(has_text="FS-88412").wait_for(timeout=60_000)  # the reply, once let go
    settle(page)
    assert page.locator(MESSAGE).filter(has_text=sent).count() == 1  # shown once, not twice, after the rerun
    page.context.close()


def test_when_the_customer_ends_the_chat_its_end_stays_in_view(browser: Any, app: App) -> None:
    page = open_chat(browser, app, "bob", 1200, 800)
    for n, line in enumerate(agent_lines("hostile"), start=1):
        settle(page)
        box = page.locator(BOX)
        box.fill(line)
        box.press("Enter")
        # The meter's caption names the turn once the reply is stored and the page drawn again from it.
        stage = page.get_by_text(re.compile(rf"^Stage: \w+ · turn {n} ·"))
        stage.wait_for(timeout=60_000)
        if stage.inner_text().startswith("Stage: closed"):
            break
    ended = page.get_by_text("The customer is satisfied: you resolved the chat.")
    report = page.get_by_role("button", name="See your report")
    report.wait_for(timeout=60_000)
    in_view = """([selector, text]) => {
        const button = [...document.querySelectorAll('button')].find(b => b.innerText.trim() === text);
        const messages = document.querySelectorAll(selector);
        const inside = el => { const r = el.getBoundingClientRect();
                               return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; };
        return button && messages.length && inside(button) && inside(messages[messages.length - 1]);
    }"""
    try:
        page.wait_for_function(in_view, arg=[MESSAGE, "See your report"], timeout=30_000)
    except Exception:
        scrolled = page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop")
        raise AssertionError(f"the end of the chat is out of view: 'See your report' at {report.bounding_box()}, "
                             f"the main area scrolled to {scrolled} px, in a 1200x800 window") from None
    assert ended.is_visible()
    closing = ended.bounding_box()
    assert closing is not None and closing["y"] >= 0 and closing["y"] + closing["height"] <= 800
    page.context.close()
