"""Practice aids in a real headless Chromium against `streamlit run`: try a different reply from a turn and compare
the scores; ask the coach for a hint and find it on the report and in the progress page."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import log_in, serve, settle

pytestmark = pytest.mark.browser
#: Where the screenshots go (a temp dir by default; set AIDS_SHOTS to keep them).
SHOTS = os.environ.get("AIDS_SHOTS")
LINES = [
    "Can I have your order number, please?",
    "Right. Deliveries get missed sometimes, it happens.",
    "I'll arrange a new delivery slot for you.",
]
BETTER = ("I'm so sorry: you stayed home twice and nobody came or called. That's on us. I'll book Saturday "
          "morning for you and call you by 5pm today to confirm.")


def people() -> Any:
    from services import Actor, build_services
    from settings import Settings

    services = build_services(Settings())
    ann = services.auth.create_user(Actor.system(), username="ann", role="trainee", password="ann-password")
    return services, ann


def end_and_open_report(page: Any) -> None:
    page.get_by_role("button", name="End chat and see my report").click()
    page.get_by_role("button", name="Yes, end the chat and grade it").click()
    page.get_by_role("heading", name="Your report").wait_for(timeout=60_000)
    settle(page)


def test_branch_a_turn_write_another_reply_and_compare_the_scores(browser: Any, tmp_path: Path) -> None:
    services, ann = people()
    original = services.practice.start(ann, persona_slug="hostile", seed=7).finish()
    for line in LINES:
        services.practice.send(ann, original.id, line).finish()
    first = services.practice.end_and_grade(ann, original.id)
    shots = Path(SHOTS) if SHOTS else tmp_path
    with serve(tmp_path) as url:
        page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
        page.goto(f"{url}/?session={original.id}")
        log_in(page, "ann", "ann-password")
        tries = page.get_by_role("button", name="Try a different reply here")
        tries.nth(2).wait_for(timeout=60_000)
        assert tries.count() == 3  # one per turn of the trainee's
        tries.nth(1).click()
        page.get_by_text(f"A new try from your turn 2 of chat #{original.id}").wait_for(timeout=30_000)
        messages = page.locator('[data-testid="stChatMessage"]')
        assert messages.count() == 3  # the opening, turn 1 and the customer's reply: turn 2 is the trainee's again
        assert LINES[1] not in page.locator("body").inner_text()
        page.screenshot(path=str(shots / "branch-chat.png"), full_page=True)
        page.get_by_role("button", name=f"Open chat #{original.id}").wait_for(timeout=10_000)
        box = page.locator('[data-testid="stChatInputTextArea"]')
        box.fill(BETTER)
        box.press("Enter")
        page.wait_for_function("document.querySelectorAll('[data-testid=stChatMessage]').length >= 5",
                               timeout=60_000)
        settle(page)
        end_and_open_report(page)
        page.get_by_role("heading", name="Other tries of this conversation").wait_for(timeout=30_000)
        text = page.locator("body").inner_text()
        branch = services.branches.family(ann, original.id)[1]
        assert f"Chat #{original.id} · {first.report.overall}/100 · the original chat" in text
        assert f"Chat #{branch.session_id} · {branch.overall}/100 · from turn 2 of #{original.id}" in text
        assert "(this report)" in text and branch.overall > first.report.overall
        page.screenshot(path=str(shots / "branch-report.png"), full_page=True)
        page.get_by_role("link", name=f"Chat #{original.id}").click()
        page.get_by_text(f"Chat #{original.id} · {first.report.overall}/100 · the original chat (this report)"
                         ).wait_for(timeout=30_000)


def test_ask_for_a_hint_and_find_it_on_the_report_and_in_progress(browser: Any, tmp_path: Path) -> None:
    people()
    shots = Path(SHOTS) if SHOTS else tmp_path
    with serve(tmp_path) as url:
        page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
        page.goto(url)
        log_in(page, "ann", "ann-password")
        page.get_by_role("button", name="Start new chat").click()
        page.locator('[data-testid="stChatMessage"]').first.wait_for(timeout=60_000)
        settle(page)
        page.get_by_role("button", name="Hint").click()
        hint = page.locator(".st-key-hint")
        hint.wait_for(timeout=30_000)
        settle(page)
        assert page.get_by_role("button", name="Hint").count() == 0  # shown in place of the button
        assert "Hint for turn 1" in hint.inner_text() and "have not felt heard yet" in hint.inner_text()
        assert "From the workshop: Four nightmares in customer service" in hint.inner_text()
        page.screenshot(path=str(shots / "hint.png"), full_page=True)
        box = page.locator('[data-testid="stChatInputTextArea"]')
        box.fill("Two days off work for nothing, and nobody called. I'm so sorry, that's on us.")
        box.press("Enter")
        page.wait_for_function("document.querySelectorAll('[data-testid=stChatMessage]').length >= 3",
                               timeout=60_000)
        settle(page)
        assert page.locator(".st-key-hint").count() == 0  # the hint was for turn 1; turn 2 has none yet
        page.get_by_role("button", name="Hint").wait_for(timeout=30_000)
        end_and_open_report(page)
        page.get_by_role("heading", name="Hints you asked for (1)").wait_for(timeout=30_000)
        page.screenshot(path=str(shots / "hint-report.png"), full_page=True)
        page.get_by_role("button", name="My progress").click()
        page.get_by_text("· 1 hint").wait_for(timeout=30_000)
