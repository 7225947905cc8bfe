"""The practice chat page in a real headless Chromium (issue 11, "The chat page"): what a trainee meets when a
paste is too long, a tab is stale, a message is blank, the chat grows long or the customer gets very angry, and
on the very first page load of a fresh server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, log_in, serve

pytestmark = pytest.mark.browser

BOX = '[data-testid="stChatInputTextArea"]'
MESSAGES = "document.querySelectorAll('[data-testid=stChatMessage]').length"
PASSWORD = "practice-password"
TRAINEES = ("ann", "bob", "cat", "dan", "eve", "fay", "gus")


@dataclass
class App:
    url: str
    data_dir: Path
    user_ids: dict[str, int]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """One server for the module; every test logs in as its own trainee, in its own browser."""
    from services import Actor, build_services
    from settings import Settings

    tmp = tmp_path_factory.mktemp("chat-page")
    services = build_services(Settings(data_dir=tmp / "data"))
    ids = {}
    for name in TRAINEES:
        created = services.auth.create_user(Actor.system(), username=name, role="trainee", password=PASSWORD)
        assert created.id is not None
        ids[name] = created.id
    with serve(tmp) as url:
        yield App(url, tmp / "data", ids)



def open_chat(browser: Any, app: App, name: str, *, height: int = 1000) -> Any:
    """A new browser for ``name``, logged in, with a chat just started with the default customer."""
    page = browser.new_context(viewport={"width": 1300, "height": height}).new_page()
    page.goto(app.url)
    log_in(page, name, PASSWORD)
    page.get_by_role("button", name="Start new chat").click()
    page.locator('[data-testid="stChatMessage"]').first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    return page


def send(page: Any, text: str, messages_after: int) -> None:
    box = page.locator(BOX)
    box.fill(text)
    box.press("Enter")
    page.wait_for_function(f"{MESSAGES} >= {messages_after}", timeout=30_000)
    page.wait_for_timeout(1000)  # the rerun after the reply


@pytest.mark.parametrize("address", ["", "/history"])
def test_the_first_page_load_never_shows_the_raw_page_list(tmp_path: Path, address: str) -> None:
    """Streamlit's legacy page list (file names from pages/) flashed before app.py's navigation took over, on the
    first request of a fresh server, whether it names a page or not."""
    from playwright.sync_api import sync_playwright

    watch = """
        window.__navSeen = [];
        new MutationObserver(() => {
          const nav = document.querySelector('[data-testid="stSidebarNav"]');
          if (nav) window.__navSeen.push(nav.innerText);
        }).observe(document, {childList: true, subtree: true});
    """
    with serve(tmp_path) as url, sync_playwright() as p:  # a fresh server: its very first request
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.add_init_script(watch)
        page.goto(url + address)
        page.get_by_text("Create the first admin account").wait_for(timeout=30_000)
        page.wait_for_timeout(1500)
        seen = page.evaluate("window.__navSeen")
        assert seen == [], f"a page list was shown before login: {set(seen)}"
        fields = page.locator('[data-testid="stTextInputRootElement"] input')
        fields.nth(0).fill("root")
        fields.nth(1).fill("admin-password")
        fields.nth(2).fill("admin-password")
        page.get_by_role("button", name="Create admin and log in").click()
        page.get_by_role("link", name="Practice chat").wait_for(timeout=30_000)  # the real navigation is there
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "My progress" in nav and "admin settings" not in nav and "cert review" not in nav
        browser.close()


def test_a_too_long_paste_is_refused_with_a_message_and_kept(browser: Any, app: App) -> None:
    page = open_chat(browser, app, "ann")
    pasted = "I understand how frustrating this is. " * 131 + "x" * 22
    assert len(pasted) == 5000
    box = page.locator(BOX)
    box.fill(pasted)
    box.press("Enter")
    page.get_by_text("Your message is 5,000 characters; the limit is 4,000").wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    assert page.locator(BOX).input_value() == pasted  # the text is still in the box, to shorten and send
    assert page.evaluate(MESSAGES) == 1  # nothing was sent
    box.fill(pasted[:3999])
    box.press("Enter")
    page.wait_for_function(f"{MESSAGES} >= 3", timeout=30_000)
    page.context.close()


def test_a_message_from_a_stale_tab_on_an_ended_chat_says_so_and_keeps_the_text(browser: Any, app: App) -> None:
    from services import build_services
    from settings import Settings

    page = open_chat(browser, app, "bob")
    session_id = int(page.url.split("session=")[1])
    services = build_services(Settings(data_dir=app.data_dir))
    bob = services.auth.actor(app.user_ids["bob"])
    assert bob is not None
    services.practice.end(bob, session_id)  # ended elsewhere (another tab); this tab still shows the chat
    line = "I'm sorry, let me check your order right away."
    box = page.locator(BOX)
    box.fill(line)
    box.press("Enter")
    page.get_by_text("so your message was not sent").wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    kept = page.locator(BOX).input_value() if page.locator(BOX).count() else ""
    assert kept == line or page.locator("code").filter(has_text=line).count() == 1
    assert page.evaluate(MESSAGES) == 1
    page.context.close()


def test_a_whitespace_only_message_leaves_no_empty_bubble(browser: Any, app: App) -> None:
    page = open_chat(browser, app, "cat")
    box = page.locator(BOX)
    box.fill("   \n\t  ")
    box.press("Enter")
    page.get_by_text("Type a message before sending").wait_for(timeout=30_000)
    assert page.evaluate(MESSAGES) == 1  # only the customer's opening line: no empty bubble of ours
    page.context.close()


def test_the_meter_stays_in_view_when_the_chat_is_scrolled(browser: Any, app: App, tmp_path: Path) -> None:
    page = open_chat(browser, app, "dan", height=700)
    long_line = ("I'm really sorry about the missed deliveries, I can hear how much this has cost you. " * 12).strip()
    send(page, long_line, 3)
    send(page, "Could you give me your order number, please? " + long_line, 5)
    page.locator('[data-testid="stChatMessage"]').last.scroll_into_view_if_needed()
    page.evaluate("document.querySelectorAll('*').forEach(e => { if (e.scrollHeight > e.clientHeight) "
                  "e.scrollTop = e.scrollHeight; })")
    page.wait_for_timeout(500)
    page.screenshot(path=str(tmp_path / "scrolled.png"))
    meter = page.get_by_text("Customer frustration:").first
    box = meter.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= 700, f"meter out of view at {box}"
    page.context.close()


def test_the_bar_is_red_when_the_customer_is_very_angry(browser: Any, app: App) -> None:
    page = open_chat(browser, app, "eve")  # the hostile customer starts at 8/10 on normal: very angry
    page.get_by_text("very angry").first.wait_for(timeout=30_000)
    colours = page.evaluate("""() => {
        const bar = document.querySelector('[role="progressbar"]');
        const out = [];
        for (const el of [bar, ...bar.querySelectorAll('*')]) {
          const c = getComputedStyle(el).backgroundColor;
          const m = c.match(/rgba?\\((\\d+), (\\d+), (\\d+)(?:, ([\\d.]+))?/);
          if (m && (m[4] === undefined || parseFloat(m[4]) > 0) && el.getBoundingClientRect().width > 0)
            out.push([+m[1], +m[2], +m[3]]);
        }
        return out;
    }""")
    red = [c for c in colours if c[0] > 150 and c[1] < 110 and c[2] < 110]
    blue = [c for c in colours if c[2] > 150 and c[0] < 110]
    assert red and not blue, f"bar colours {colours}"
    page.context.close()


def test_the_sidebar_names_the_customer_of_the_open_chat(browser: Any, app: App) -> None:
    page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
    page.goto(app.url)
    log_in(page, "fay", PASSWORD)
    card = page.locator('[data-testid="stVerticalBlockBorderWrapper"], [data-testid="stVerticalBlock"]').filter(
        has_text="Discount demander").filter(has=page.get_by_role("button", name="Start (normal")).last
    card.get_by_role("button").click()
    page.locator('[data-testid="stChatMessage"]').first.wait_for(timeout=30_000)
    page.get_by_role("heading", name="Patricia Hale").wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert "Patricia Hale" in sidebar.inner_text()
    assert "Derek Malone" not in sidebar.inner_text()
    picked = sidebar.locator('[data-testid="stSelectbox"] input[role="combobox"]').first.input_value()
    assert "Discount demander" in picked and "Hostile" not in picked  # "New chat" starts from the chat on screen
    page.context.close()


def test_ending_the_chat_asks_first(browser: Any, app: App) -> None:
    page = open_chat(browser, app, "gus")
    send(page, "I'm sorry about the deliveries. What's your order number?", 3)
    page.get_by_role("button", name="End chat and see my report").click()
    page.wait_for_timeout(2000)
    assert "/report" not in page.url  # nothing ended yet: it asks
    confirm = page.get_by_role("button", name="Yes, end the chat and grade it")
    confirm.wait_for(timeout=10_000)
    confirm.click()
    page.wait_for_url("**/report?session=*", timeout=30_000)
    page.context.close()
