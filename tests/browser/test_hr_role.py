"""An HR account in the browser: its navigation has Campaigns, Certification review and Accounts and teams, and
none of the rubric, settings, scenarios, calibration or transcript review; each of its pages opens without an error,
and it reads a certification chat's report from the review queue."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import log_in, serve
from tests.conftest import agent_lines

pytestmark = pytest.mark.browser

PROBLEMS = ("Traceback", "StreamlitPageNotFoundError", "Error running app", "Only an admin", "Only trainers")


def _no_problem(page: Any) -> None:
    body = page.locator("body").inner_text()
    for problem in PROBLEMS:
        assert problem not in body, body[:2000]


def _world(tmp_path: Path) -> None:
    from db.models import utcnow
    from services import Actor, build_services
    from settings import Settings

    services = build_services(Settings(data_dir=tmp_path / "data"))
    system = Actor.system()
    services.auth.create_user(system, username="hazel", role="hr", password="hazel-password")
    ann = services.auth.create_user(system, username="ann", role="trainee", password="ann-password", team="red")
    created = services.certification.create_campaign(system, {
        "name": "Q4 certification", "scenarios": [("hostile", "normal")], "review_margin": 30, "trainees": ["ann"],
        "opens_at": utcnow() - timedelta(hours=1), "closes_at": utcnow() + timedelta(days=3)})
    services.certification.open_campaign(system, created.id)
    attempt = services.certification.start_attempt(ann, created.id, holder="t")
    for line in agent_lines("hostile")[:3]:
        services.certification.send(ann, attempt.id, line, holder="t").finish()
    assert services.certification.next_scenario(ann, attempt.id, holder="t").outcome == "review"


def test_hr_sees_certification_and_accounts_and_not_the_rubric_or_settings(browser: Any, tmp_path: Path) -> None:
    _world(tmp_path)
    with serve(tmp_path) as url:
        page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
        page.goto(url)
        log_in(page, "hazel", "hazel-password")
        page.get_by_text("Logged in as hazel (hr)").wait_for(timeout=60_000)
        nav = page.locator('[data-testid="stSidebarNav"]')
        for shown in ("Campaigns", "Certification review", "Accounts and teams"):
            nav.get_by_role("link", name=shown, exact=True).wait_for(timeout=10_000)
        for hidden in ("Rubric", "Settings", "Calibration", "Scenarios", "Review"):
            assert nav.get_by_role("link", name=hidden, exact=True).count() == 0, hidden

        nav.get_by_role("link", name="Certification review", exact=True).click()
        page.get_by_text("Why it is here: borderline").wait_for(timeout=30_000)
        _no_problem(page)
        page.get_by_role("link", name="Scenario 1: transcript and grade").click()  # the chat HR decides on
        page.get_by_role("heading", name="Report: ann").wait_for(timeout=30_000)
        assert page.get_by_role("button", name="Override").count() == 0  # HR reads; grading is trainers'
        _no_problem(page)

        nav.get_by_role("link", name="Campaigns", exact=True).click()
        page.get_by_role("heading", name="Certification campaigns").wait_for(timeout=30_000)
        page.get_by_text("Awaiting review").first.wait_for(timeout=30_000)
        _no_problem(page)

        nav.get_by_role("link", name="Accounts and teams", exact=True).click()
        page.get_by_role("heading", name="Accounts and teams").wait_for(timeout=30_000)
        page.get_by_role("tab", name="Create an account").wait_for(timeout=10_000)
        _no_problem(page)
        page.goto(f"{url}/rubric")  # typed by hand: not a page of HR's
        page.get_by_text("Logged in as hazel (hr)").wait_for(timeout=60_000)
        assert page.get_by_role("heading", name="Rubric").count() == 0
