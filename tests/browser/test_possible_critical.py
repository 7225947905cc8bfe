"""A certification attempt whose only critical reading is not corroborated (an insult word aimed at a third person,
not the customer) is not failed by the cap: it lands in review, and the reason names the possible critical error.
On the code before critical errors had to be earned, the same attempt was capped at 25 and failed outright."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, log_in, serve

pytestmark = pytest.mark.browser

LINE = ("I'm so sorry, Derek, two wasted days and it's on us. That driver is an idiot, honestly. He failed you "
        "twice. I've booked the guaranteed Saturday 8 to 10 slot and the dispatcher will ring 30 minutes ahead.")


def test_a_possible_critical_error_sends_the_attempt_to_a_person(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from db.models import utcnow
    from services import Actor, build_services
    from settings import Settings

    services = build_services(Settings(data_dir=tmp_path / "data"))
    system = Actor.system()
    services.auth.create_user(system, username="ann", role="trainee", password="ann-password")
    created = services.certification.create_campaign(system, {
        "name": "Q4 certification", "scenarios": [("hostile", "normal")], "review_margin": 0,
        "opens_at": utcnow() - timedelta(hours=1), "closes_at": utcnow() + timedelta(days=3), "trainees": ["ann"]})
    services.certification.open_campaign(system, created.id)
    with serve(tmp_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
        page.goto(f"{url}/certification")
        log_in(page, "ann", "ann-password")
        page.get_by_role("button", name="Start attempt 1").click()
        page.get_by_text("scenario 1 of 1").wait_for(timeout=30_000)
        box = page.locator('[data-testid="stChatInputTextArea"]')
        box.fill(LINE)
        box.press("Enter")
        page.wait_for_function("document.querySelectorAll('[data-testid=stChatMessage]').length >= 3",
                               timeout=30_000)
        page.get_by_role("button", name="Finish the attempt").click()
        page.get_by_text("Finish the attempt now?").wait_for(timeout=15_000)
        page.get_by_role("button", name="Yes, finish and grade it").click()
        page.get_by_text("You finished attempt 1 of Q4 certification").wait_for(timeout=60_000)
        page.get_by_text("Awaiting a reviewer's confirmation").first.wait_for(timeout=30_000)
        page.screenshot(path=str(tmp_path / "possible-critical.png"), full_page=True)
        body = page.locator("body").inner_text()
        assert "Traceback" not in body and "Failed" not in body
        browser.close()
    queue = services.certification.review_queue(system)
    assert [a.outcome for a in queue] == ["review"]
    assert any("possible critical error" in reason for reason in queue[0].review_reasons)
