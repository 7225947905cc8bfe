"""A trainer overrides a criterion on the report in a real headless Chromium; Review, the trainee's progress,
Analytics and the CSV exports then all show the decided score, marked as overridden."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, log_in, pick, serve
from tests.pages.test_progress_analytics_apptest import seed_world

pytestmark = pytest.mark.browser


def grid_cells(page: Any) -> list[str]:
    """What the data grids show (Streamlit's grid keeps an accessible copy of its visible cells in the page)."""
    cells = page.locator('[data-testid="stDataFrame"] [role=gridcell]')
    cells.first.wait_for(state="attached", timeout=30_000)
    page.wait_for_timeout(500)
    return [t.strip() for t in cells.all_text_contents()]


def download(page: Any, button: str) -> list[dict[str, str]]:
    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("button", name=button).click()
    return list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text())))


def visit(page: Any, title: str) -> None:
    """Follow the sidebar's link (the browser session, and so the login, stays)."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()


def test_an_override_is_the_score_everywhere(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from services import Actor, build_services
    from settings import Settings

    settings = Settings(data_dir=tmp_path / "data")
    world = seed_world(settings, override=False)
    with serve(tmp_path, env={"TRAINER_SCOPE": "team"}) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
        page.goto(f"{url}/report?session={world.overridden}")  # a deep link opens its page once logged in
        page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
        log_in(page, "tina", "tina-secret-1")
        page.get_by_text("A sincere apology").first.wait_for(timeout=30_000)
        apology = page.locator('[data-testid="stExpander"]').filter(has_text="A sincere apology")
        apology.locator("summary").click()
        pick(page, apology, "Correct the level", "0")
        apology.get_by_label("Reason (required)").fill("The apology was for a different order.")
        apology.get_by_role("button", name="Override").click()
        page.get_by_text("(overridden)").first.wait_for(timeout=30_000)
        stored = build_services(settings).grading.latest(Actor.system(), world.overridden)
        assert stored is not None
        decided = stored.report.overall
        page.get_by_text("Overall (overridden)").wait_for(timeout=30_000)  # the report's own headline says so
        assert decided < world.machine
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)

        visit(page, "Review")
        page.get_by_text("transcripts match").wait_for(timeout=30_000)
        shown = grid_cells(page)
        assert f"{decided} (overridden)" in shown, shown
        assert "None" not in shown and str(world.machine) not in shown
        rows = download(page, "Export this page as CSV (scores)")
        [row] = [r for r in rows if r["session_id"] == str(world.overridden)]
        passed = "yes" if stored.report.passed else "no"
        assert (row["score"], row["passed"], row["overridden"], row["team"]) == (str(decided), passed, "yes", "Red")
        assert row["level:apology"] == "0"
        page.screenshot(path=str(tmp_path / "review.png"), full_page=True)

        visit(page, "My progress")
        page.get_by_role("heading", name="Progress", exact=True).wait_for(timeout=30_000)
        page.get_by_text("Score trend").wait_for(timeout=30_000)
        shown = grid_cells(page)
        assert f"{decided} (overridden)" in shown and "None" not in shown, shown
        page.screenshot(path=str(tmp_path / "history.png"), full_page=True)

        visit(page, "Analytics")
        page.get_by_text("Trainee: ann").wait_for(timeout=30_000)
        trend = download(page, "Download score-trend (CSV)")
        [point] = [r for r in trend if r["chat"] == str(world.overridden)]
        assert point["score"] == str(decided) and point["overridden"] == "True"
        page.screenshot(path=str(tmp_path / "analytics.png"), full_page=True)
        browser.close()
