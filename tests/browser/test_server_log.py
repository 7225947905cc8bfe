"""The server's log while a trainee, a trainer and an admin walk their main pages in a real headless Chromium: no
Streamlit deprecation of ``use_container_width`` (it was repeated on every page that drew a full-width element)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import log_in, serve_process, settle
from tests.conftest import agent_lines

pytestmark = pytest.mark.browser


def _world(tmp_path: Path) -> int:
    """ann (trainee, team red) with a graded chat, an unfinished one and an open campaign; tina (her trainer) and
    root (admin). Returns the graded chat's id."""
    from db.models import utcnow
    from services import Actor, build_services
    from settings import Settings

    services = build_services(Settings(data_dir=tmp_path / "data"))
    system = Actor.system()
    ann = services.auth.create_user(system, username="ann", role="trainee", password="ann-password", team="red")
    services.auth.create_user(system, username="tina", role="trainer", password="tina-password", team="red")
    services.auth.create_user(system, username="root", role="admin", password="root-password")
    graded = services.practice.start(ann, persona_slug="hostile", seed=1).finish()
    assert graded is not None
    for line in agent_lines("hostile")[:2]:
        services.practice.send(ann, graded.id, line).finish()
    services.practice.end_and_grade(ann, graded.id)
    services.practice.start(ann, persona_slug="provocateur", seed=1).finish()  # left unfinished
    created = services.certification.create_campaign(system, {
        "name": "Q4 certification", "scenarios": [("hostile", "normal")], "trainees": ["ann"],
        "opens_at": utcnow() - timedelta(hours=1), "closes_at": utcnow() + timedelta(days=3)})
    services.certification.open_campaign(system, created.id)
    return graded.id


def _visit(page: Any, url: str, name: str, shown: Any) -> None:
    """Open ``url`` as ``name`` (logged in by the cookie) and wait until ``shown`` is drawn and the run is over."""
    page.goto(url)
    log_in(page, name, f"{name}-password")
    shown.first.wait_for(timeout=60_000)
    settle(page)


def _as(browser: Any, url: str, name: str) -> Any:
    page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
    page.goto(url)
    log_in(page, name, f"{name}-password")
    page.get_by_text(f"Logged in as {name} (").wait_for(timeout=60_000)
    settle(page)
    return page


def test_no_use_container_width_deprecation_in_the_server_log(browser: Any, tmp_path: Path) -> None:
    chat = _world(tmp_path)
    log: list[str] = []
    with serve_process(tmp_path) as (url, server):
        assert server.stdout is not None
        reader = threading.Thread(target=lambda: log.extend(line.decode(errors="replace") for line in server.stdout),
                                  daemon=True)  # read as it comes: a full pipe would stall the server
        reader.start()

        page = _as(browser, url, "ann")
        button = page.get_by_role("button")
        _visit(page, url, "ann", button.filter(has_text=re.compile(r"^Start \(normal")))  # the customers to pick
        page.get_by_role("button", name=re.compile(r"^#\d+ ")).first.wait_for(timeout=30_000)  # unfinished chats
        _visit(page, f"{url}/?session={chat}", "ann", button.filter(has_text="See your report"))  # ended chat
        _visit(page, f"{url}/report?session={chat}", "ann", button.filter(has_text="My progress"))
        _visit(page, f"{url}/history", "ann", button.filter(has_text="Retry"))
        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
        _visit(page, f"{url}/analytics", "ann", page.get_by_role("heading", name="Analytics"))
        _visit(page, f"{url}/certification", "ann", button.filter(has_text="Start attempt 1"))
        button.filter(has_text="Start attempt 1").click()
        button.filter(has_text="Abandon the attempt").wait_for(timeout=60_000)
        button.filter(has_text="Abandon the attempt").click()
        button.filter(has_text="No, keep going").wait_for(timeout=60_000)  # the confirming pair
        settle(page)
        page.context.close()

        page = _as(browser, url, "tina")
        button = page.get_by_role("button")
        _visit(page, f"{url}/review", "tina", button.filter(has_text="Export this page as CSV (scores)"))
        _visit(page, f"{url}/analytics", "tina", page.locator('[data-testid="stVegaLiteChart"]'))
        _visit(page, f"{url}/report?session={chat}", "tina", button.filter(has_text="Regrade"))
        _visit(page, f"{url}/history", "tina", page.get_by_role("heading", name="Progress"))
        for address, heading in (("cert_review", "Certification review"), ("calibration", "Calibration"),
                                 ("rubric", "Rubric"), ("scenarios", "Scenarios")):
            _visit(page, f"{url}/{address}", "tina", page.get_by_role("heading", name=heading))
        page.context.close()

        page = _as(browser, url, "root")
        _visit(page, f"{url}/admin_settings", "root", page.get_by_role("tab", name="Add a team"))
        page.get_by_role("button", name="Test the customer model").wait_for(timeout=30_000)
        _visit(page, f"{url}/campaigns", "root", page.get_by_role("heading", name="Certification campaigns"))
        page.context.close()
    reader.join(timeout=30)
    said = [line.strip() for line in log if "use_container_width" in line]
    assert not said, f"{len(said)} deprecation line(s) in the server's log, e.g. {said[0]}"
