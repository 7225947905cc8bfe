"""The report in a real headless Chromium: the trainee's comment notice, coaching for this customer, turn numbers,
and what a trainer sees instead."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, log_in, serve

pytestmark = pytest.mark.browser
#: Where the screenshots go (a temp dir by default; set REPORT_SHOTS to keep them).
SHOTS = os.environ.get("REPORT_SHOTS")


def test_trainee_notice_report_and_trainer_view(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from services import Actor, build_services
    from settings import Settings

    services = build_services(Settings())
    system = Actor.system()
    ann = services.auth.create_user(system, username="ann", role="trainee", password="ann-password")
    tina = services.auth.create_user(system, username="tina", role="trainer", password="tina-password")
    view = services.practice.start(ann, persona_slug="discount-demander", difficulty="normal", seed=1).finish()
    assert view is not None
    for line in ["Nine years is a long time, I'm so sorry your price went up without warning.",
                 "Calm down. It's policy, there is nothing I can do about the price."]:
        view = services.practice.send(ann, view.id, line).finish()
        assert view is not None
    services.practice.end(ann, view.id)
    services.review.comment(tina, view.id, turn=2, body="Good, specific apology.")
    services.review.comment(tina, view.id, turn=4, body="Never 'calm down'; offer the 200 plan instead.")
    shots = Path(SHOTS) if SHOTS else tmp_path

    with serve(tmp_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.goto(url)
        log_in(page, "ann", "ann-password")
        notice = page.get_by_text(f"2 new comments from your trainer on chat #{view.id}")
        notice.wait_for(timeout=30_000)
        page.screenshot(path=str(shots / "notice.png"), full_page=True)
        page.get_by_role("button", name="Open the report").click()
        page.get_by_role("heading", name="Your report").wait_for(timeout=30_000)
        assert f"session={view.id}" in page.url
        body = page.locator("section.main, [data-testid='stMain']").first
        page.get_by_text("under their turn").wait_for(timeout=10_000)
        page.get_by_role("button", name="Try this customer again").wait_for(timeout=30_000)
        text = body.inner_text()
        assert "you said" in text and "Try this customer again" in text
        assert not re.search(r"deliver(y|ies)|washing|depot", text, re.IGNORECASE)
        assert {int(n) for n in re.findall(r"\b[Tt]urn (\d+)", text)} <= {0, 1, 2}  # 0: the customer's opening
        page.get_by_text("Never 'calm down'").wait_for(timeout=10_000)
        page.screenshot(path=str(shots / "report-trainee.png"), full_page=True)
        assert page.get_by_text("new comments from your trainer").count() == 1  # the report's own, not the sidebar
        page.reload()
        page.get_by_role("button", name="Log in").or_(page.get_by_role("heading", name="Your report")).first.wait_for(
            timeout=30_000)
        if page.get_by_role("button", name="Log in").count():
            log_in(page, "ann", "ann-password")
        page.get_by_role("heading", name="Your report").wait_for(timeout=30_000)
        page.wait_for_timeout(1000)
        assert page.get_by_text("new comments from your trainer").count() == 0  # seen: no notice anywhere

        trainer = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        trainer.goto(f"{url}/report?session={view.id}")
        log_in(trainer, "tina", "tina-password")
        trainer.get_by_role("heading", name="Report: ann").wait_for(timeout=30_000)
        trainer.get_by_text("the trainee said").first.wait_for(timeout=10_000)
        trainer.get_by_role("button", name="Regrade").wait_for(timeout=30_000)
        text = trainer.locator("[data-testid='stMain']").first.inner_text()
        assert "you said" not in text and "Try this customer again" not in text
        trainer.screenshot(path=str(shots / "report-trainer.png"), full_page=True)
        browser.close()
