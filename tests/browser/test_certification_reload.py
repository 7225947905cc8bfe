"""A certification attempt survives a reload (and a dropped connection) within the reconnect grace, is told
apart from a second tab, and after the grace ends as abandoned with a notice: never a traceback (issue 11)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, free_port, log_in, serve

pytestmark = pytest.mark.browser

PROBLEMS = ("Traceback", "StreamlitPageNotFoundError", "Error running app")


def _world(tmp_path: Path, attempts: int = 1) -> None:
    from db.models import utcnow
    from services import Actor, build_services
    from settings import Settings

    services = build_services(Settings(data_dir=tmp_path / "data"))
    system = Actor.system()
    services.auth.create_user(system, username="ann", role="trainee", password="ann-password")
    created = services.certification.create_campaign(system, {
        "name": "Q4 certification", "scenarios": [("hostile", "normal")], "attempts_allowed": attempts,
        "opens_at": utcnow() - timedelta(hours=1), "closes_at": utcnow() + timedelta(days=3), "trainees": ["ann"]})
    services.certification.open_campaign(system, created.id)


def _log_in_if_asked(page: Any) -> None:
    """A reload may ask for the password again (or not, once logins survive reloads): handle both."""
    page.wait_for_selector('button:has-text("Log in"), [data-testid="stSidebar"]', timeout=30_000)
    if page.get_by_role("button", name="Log in").count():
        log_in(page, "ann", "ann-password")


def _no_problem(page: Any) -> None:
    body = page.locator("body").inner_text()
    for problem in PROBLEMS:
        assert problem not in body, body[:2000]


def _start_and_answer(page: Any, url: str) -> None:
    page.goto(f"{url}/certification")
    log_in(page, "ann", "ann-password")
    page.get_by_role("button", name="Start attempt 1").click()
    page.get_by_text("scenario 1 of 1").wait_for(timeout=30_000)
    box = page.locator('[data-testid="stChatInputTextArea"]')
    box.fill("I'm so sorry about this. Could you give me your order number?")
    box.press("Enter")
    page.wait_for_function("document.querySelectorAll('[data-testid=stChatMessage]').length >= 3", timeout=30_000)
    page.wait_for_timeout(1500)


def test_a_reload_within_the_grace_resumes_the_attempt_and_a_second_tab_takes_it_over(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    _world(tmp_path)
    with serve(tmp_path, env={"ATTEMPT_RECONNECT_GRACE_SECONDS": "120"}) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1300, "height": 1000})
        page = context.new_page()
        _start_and_answer(page, url)
        page.reload()
        _log_in_if_asked(page)
        page.get_by_text("scenario 1 of 1").wait_for(timeout=30_000)  # back in the attempt, not on Practice chat
        page.get_by_text("reconnected to your attempt").wait_for(timeout=10_000)
        assert "order number" in page.locator('[data-testid="stChatMessage"]').all_inner_texts()[1]
        assert page.get_by_role("link", name="Practice chat").count() == 0  # still locked to the attempt
        box = page.locator('[data-testid="stChatInputTextArea"]')
        box.fill("I understand how frustrating that is. I'll check it right now.")
        box.press("Enter")
        page.wait_for_function("document.querySelectorAll('[data-testid=stChatMessage]').length >= 5",
                               timeout=30_000)
        page.screenshot(path=str(tmp_path / "resumed.png"), full_page=True)
        _no_problem(page)

        # a second tab (another browser session) takes the attempt over; the first one stops driving it
        other = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
        other.goto(f"{url}/certification")
        log_in(other, "ann", "ann-password")
        other.get_by_text("scenario 1 of 1").wait_for(timeout=30_000)
        page.get_by_text("continues in another window").wait_for(timeout=15_000)
        assert page.locator('[data-testid="stChatInputTextArea"]').count() == 0
        page.screenshot(path=str(tmp_path / "moved.png"), full_page=True)
        _no_problem(page)
        _no_problem(other)
        browser.close()


def test_after_the_grace_the_attempt_counts_as_abandoned_with_a_notice_and_no_traceback(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    _world(tmp_path, attempts=2)
    with serve(tmp_path, env={"ATTEMPT_RECONNECT_GRACE_SECONDS": "2"}) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        first = browser.new_context(viewport={"width": 1300, "height": 1000})
        page = first.new_page()
        _start_and_answer(page, url)
        first.close()  # the window is closed (or the connection lost) for longer than the grace
        time.sleep(5)
        page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
        page.goto(url)
        log_in(page, "ann", "ann-password")
        page.get_by_text("counts as abandoned").first.wait_for(timeout=30_000)
        page.get_by_text("Not passed").first.wait_for(timeout=30_000)
        page.screenshot(path=str(tmp_path / "abandoned.png"), full_page=True)
        _no_problem(page)
        page.get_by_role("link", name="Practice chat").wait_for(timeout=10_000)  # the sidebar is back
        page.get_by_role("link", name="Scenario 1: report").click()
        page.get_by_text("Overall").first.wait_for(timeout=30_000)
        _no_problem(page)
        page.get_by_role("link", name="Certification").click()
        page.get_by_role("button", name="Back to my campaigns").click()
        page.get_by_text("Attempt 1: abandoned").wait_for(timeout=30_000)
        assert page.get_by_text("active, pending").count() == 0
        _no_problem(page)
        browser.close()


def test_a_dropped_connection_to_a_restarted_server_resumes_the_attempt(tmp_path: Path) -> None:
    """The server goes away mid-attempt (a restart, a lost replica): the browser reconnects to a new process,
    which knows nothing of the old browser session, and the attempt resumes from the database."""
    from playwright.sync_api import sync_playwright

    _world(tmp_path)
    port = free_port()
    env = {"ATTEMPT_RECONNECT_GRACE_SECONDS": "120"}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
        with serve(tmp_path, env=env, port=port) as url:
            _start_and_answer(page, url)
        with serve(tmp_path, env=env, port=port) as url:
            page.wait_for_timeout(3000)  # the page notices and reconnects on its own; a reload if it did not
            if not page.get_by_text("reconnected to your attempt").count():
                page.goto(f"{url}/certification")
            _log_in_if_asked(page)
            page.get_by_text("reconnected to your attempt").wait_for(timeout=30_000)
            page.get_by_text("scenario 1 of 1").wait_for(timeout=30_000)
            assert "order number" in page.locator('[data-testid="stChatMessage"]').all_inner_texts()[1]
            _no_problem(page)
        browser.close()


def test_any_address_opened_during_an_attempt_shows_the_attempt_not_a_page_not_found_dialog(tmp_path: Path) -> None:
    """A bookmark of /certification (or a report link) opened mid-attempt: the attempt, usable, with no dialog
    over it (a fresh-machine walk found Streamlit's "Page not found" dialog making the chat box inert)."""
    from playwright.sync_api import sync_playwright

    _world(tmp_path)
    with serve(tmp_path, env={"ATTEMPT_RECONNECT_GRACE_SECONDS": "120"}) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
        _start_and_answer(page, url)
        for address in ("/certification", "/report?session=1", "/history"):
            page.goto(url + address)
            _log_in_if_asked(page)
            page.get_by_text("scenario 1 of 1").wait_for(timeout=30_000)
            page.wait_for_timeout(1500)
            assert page.get_by_text("Page not found").count() == 0, address
            assert page.locator('[role="dialog"]').count() == 0, address
            _no_problem(page)
        box = page.locator('[data-testid="stChatInputTextArea"]')
        box.fill("Thank you for waiting. I'll check the depot now.", timeout=5_000)  # not inert
        box.press("Enter")
        page.wait_for_function("document.querySelectorAll('[data-testid=stChatMessage]').length >= 5",
                               timeout=30_000)
        browser.close()
