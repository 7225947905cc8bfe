"""Rush hour in a real headless Chromium against `streamlit run`: three customers in three tabs, a waiting clock for
each, the ones left unanswered writing again on their own (patience shortened to seconds for the test), a holding
message that keeps one customer posted, and the report with every conversation's score, waits and kept-posted."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import log_in, serve, settle

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("RUSH_SHOTS")
PATIENCE = 8  # seconds, at normal difficulty


def reply(page: Any, tab: str, text: str) -> None:
    """Open ``tab`` and send ``text`` in its box; wait for the customer's answer in that tab."""
    page.get_by_role("tab", name=tab).click()
    panel = page.get_by_role("tabpanel")
    before = panel.locator('[data-testid="stChatMessage"]').count()
    box = panel.locator('[data-testid="stChatInputTextArea"]')
    box.fill(text)
    box.press("Enter")
    page.wait_for_function(
        "n => [...document.querySelectorAll('[role=tabpanel]')].some(p => p.offsetParent !== null && "
        "p.querySelectorAll('[data-testid=stChatMessage]').length >= n)", arg=before + 2, timeout=60_000)
    settle(page)


def test_three_customers_at_once_with_waiting_clocks_and_a_report(browser: Any, tmp_path: Path) -> None:
    from services import Actor, build_services
    from settings import Settings

    services = build_services(Settings())
    services.auth.create_user(Actor.system(), username="ann", role="trainee", password="ann-password")
    shots = Path(SHOTS) if SHOTS else tmp_path
    with serve(tmp_path, env={"RUSH_PATIENCE_SECONDS": str(PATIENCE)}) as url:
        page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
        page.goto(url)
        log_in(page, "ann", "ann-password")
        page.get_by_role("link", name="Rush hour").click()
        page.get_by_role("button", name="Start rush hour").click()
        tabs = page.get_by_role("tab")
        tabs.nth(2).wait_for(timeout=60_000)
        assert tabs.count() == 3
        names = [tabs.nth(i).inner_text().split(" · ")[0] for i in range(3)]
        for i in range(3):
            page.locator('[class*="st-key-clock-"]').nth(i).get_by_text("waiting").wait_for(timeout=10_000)
        assert page.get_by_role("progressbar").count() == 3  # a meter per customer
        reply(page, names[0], "I'm so sorry for the wait. I'm helping another customer right now and I'll be back "
                              "with you in two minutes.")
        # The two left unanswered write again on their own once their patience runs out.
        page.get_by_text("wrote again 1×").first.wait_for(timeout=PATIENCE * 4 * 1000)
        settle(page)
        page.get_by_role("tab", name=names[1]).click()
        panel = page.get_by_role("tabpanel")
        assert panel.locator('[data-testid="stChatMessage"]').count() >= 2  # the opening and the nudge
        page.screenshot(path=str(shots / "rush-running.png"), full_page=True)
        reply(page, names[1], "Sorry to keep you waiting! I can hear how annoying this is. What would help most "
                              "today?")
        reply(page, names[2], "Hello, sorry for the wait. I check the two payments now.")
        page.get_by_role("button", name="End rush hour and see the report").click()
        page.get_by_role("button", name="Yes, end rush hour").click()
        page.get_by_role("heading", name="Rush hour #1: your report").wait_for(timeout=90_000)
        page.get_by_role("button", name="Start another rush hour").wait_for(timeout=30_000)  # drawn to the end
        settle(page)
        text = page.locator("body").inner_text()
        for name in names:
            assert name in text
        assert "Spoke of the wait at turn 1" in text and "sorry for the wait" in text.lower()
        # Only the first customer heard about the delay before having to chase; the others were told after.
        assert "You kept 1 of 3 customers who waited posted" in text
        assert text.count("only after they chased you") == 2
        assert text.count("score ") >= 3  # every conversation graded
        assert "Longest wait" in text and "Total waiting" in text and "did not wait long" not in text
        assert page.locator("table tr").count() == 4  # a row per conversation under the header
        page.screenshot(path=str(shots / "rush-report.png"), full_page=True)
