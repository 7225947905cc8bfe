"""A dispute from start to end in a real headless Chromium against `streamlit run`: the trainee opens the dispute
form from its button below a criterion's evidence and asks for a level; the trainer is told in the sidebar, decides
it on the Review page's Disputes tab (the asked level offered); the trainee is told of the decision in the sidebar
and on the report, once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import log_in, pick, serve, settle

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("REVIEW_SHOTS")
POLITE = "I'm so sorry we missed both deliveries. Let me check what happened with your order right now."
REASON = "It was too short to count as an apology."
WAIT = 60_000


def test_a_dispute_from_the_report_to_the_review_page_and_back(browser: Any, tmp_path: Path) -> None:
    from services import Actor, build_services
    from settings import Settings

    services = build_services(Settings())
    system = Actor.system()
    ann = services.auth.create_user(system, username="ann", role="trainee", password="ann-password")
    services.auth.create_user(system, username="tina", role="trainer", password="tina-password")
    view = services.practice.start(ann, persona_slug="hostile", difficulty="normal", seed=1).finish()
    assert view is not None
    services.practice.send(ann, view.id, POLITE).finish()
    services.practice.end(ann, view.id)
    assert services.grading.report_for(ann, view.id).report.criterion("apology").level == 3
    shots = Path(SHOTS) if SHOTS else tmp_path

    with serve(tmp_path) as url:
        trainee = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
        trainee.goto(f"{url}/report?session={view.id}")
        log_in(trainee, "ann", "ann-password")
        trainee.get_by_role("heading", name="Your report").wait_for(timeout=WAIT)
        criterion = trainee.locator('[data-testid="stExpander"]').filter(has_text="A sincere apology")
        criterion.wait_for(timeout=WAIT)
        settle(trainee)
        criterion.locator("summary").click()
        button = criterion.get_by_role("button", name="Dispute this grade")
        button.wait_for(timeout=WAIT)
        evidence = criterion.get_by_text("Turn 1:")
        assert evidence.bounding_box()["y"] < button.bounding_box()["y"]  # below the evidence
        assert criterion.get_by_role("button", name="Send the dispute to a trainer").count() == 0
        button.click()
        send = criterion.get_by_role("button", name="Send the dispute to a trainer")
        send.wait_for(timeout=WAIT)
        pick(trainee, criterion, "The level you think is right", "0/3")
        criterion.get_by_label("Why is this level wrong?").fill(REASON)
        trainee.screenshot(path=str(shots / "dispute-form.png"), full_page=True)
        send.click()
        trainee.get_by_text("Your dispute is waiting for a trainer").wait_for(timeout=WAIT)

        staff = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
        staff.goto(url)
        log_in(staff, "tina", "tina-password")
        sidebar = staff.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("1 open dispute waits for a trainer").wait_for(timeout=WAIT)
        settle(staff)
        sidebar.get_by_role("button", name="Decide disputes").click()
        card = staff.locator('[data-testid="stVerticalBlock"]').filter(has_text=REASON).filter(
            has=staff.get_by_role("button", name="Decide the dispute")).last
        card.wait_for(timeout=WAIT)
        assert "show=Disputes" in staff.url
        text = card.inner_text()
        assert "A sincere apology" in text and "asks for 0/3" in text and f"Chat #{view.id}" in text
        level = card.get_by_role("combobox", name="New level (when upholding)")
        assert level.input_value() == "0/3"  # chosen: the level the trainee asked for
        card.get_by_text("Uphold (change the level)").click()
        card.get_by_label("Reason (the trainee sees it)").fill("Fair: it was one short word.")
        staff.screenshot(path=str(shots / "review-disputes.png"), full_page=True)
        card.get_by_role("button", name="Decide the dispute").click()
        staff.get_by_text("upheld: A sincere apology").wait_for(timeout=WAIT)
        staff.get_by_text("No open disputes").wait_for(timeout=WAIT)

        trainee.goto(url)
        notice = f"A trainer decided your dispute on chat #{view.id} (Derek Malone): A sincere apology upheld"
        mine = trainee.locator('[data-testid="stSidebar"]')
        mine.get_by_text(notice).wait_for(timeout=WAIT)
        settle(trainee)
        trainee.screenshot(path=str(shots / "dispute-decided.png"), full_page=True)
        mine.get_by_role("button", name="Open the report").click()
        trainee.get_by_role("heading", name="Your report").wait_for(timeout=WAIT)
        trainee.locator('[data-testid="stMain"]').get_by_text(notice).wait_for(timeout=WAIT)
        trainee.goto(url)
        trainee.get_by_role("heading", name="Practice chat").or_(
            trainee.get_by_text("Logged in as ann")).first.wait_for(timeout=WAIT)
        settle(trainee)
        assert mine.get_by_text("decided your dispute").count() == 0
