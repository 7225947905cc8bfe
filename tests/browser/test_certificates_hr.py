"""HR and certificates in the browser (issue 11): finishing an attempt and recording a decision ask first and say
what they did; the pass rate reads "pending" while the only result awaits review; no raw "None" in score cells;
HR sees and downloads each certificate and its code (page and CSV); the Verify page is public, rate-limited,
and the PDF points the reader to it instead of a command line."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, log_in, serve
from tests.conftest import agent_lines

pytestmark = pytest.mark.browser

PROBLEMS = ("Traceback", "StreamlitPageNotFoundError", "Error running app")


def _no_problem(page: Any) -> None:
    body = page.locator("body").inner_text()
    for problem in PROBLEMS:
        assert problem not in body, body[:2000]


def _attempt(services: Any, attempt_id: int) -> Any:
    from services import Actor

    return services.certification.attempt(Actor.system(), attempt_id)


def test_hr_confirms_decisions_sees_certificates_and_anyone_can_verify_them(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    from db.models import utcnow
    from services import Actor, build_services
    from settings import Settings

    services = build_services(Settings(data_dir=tmp_path / "data"))
    system = Actor.system()
    services.auth.create_user(system, username="root", role="admin", password="admin-password")
    services.auth.create_user(system, username="ann", role="trainee", password="ann-password")
    services.auth.create_user(system, username="bob", role="trainee", password="bob-password")
    created = services.certification.create_campaign(system, {
        "name": "Q4 certification", "scenarios": [("hostile", "normal")], "review_margin": 30,
        "opens_at": utcnow() - timedelta(hours=1), "closes_at": utcnow() + timedelta(days=3),
        "trainees": ["ann", "bob"]})
    services.certification.open_campaign(system, created.id)
    env = {"VERIFY_CHECKS_PER_MINUTE": "3", "PUBLIC_URL": "https://practice.example.com"}
    with serve(tmp_path, env=env) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        # the trainee finishes the attempt: a confirming second click, then a sentence saying what happened
        page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
        page.goto(f"{url}/certification")
        log_in(page, "ann", "ann-password")
        page.get_by_role("button", name="Start attempt 1").click()
        page.get_by_text("scenario 1 of 1").wait_for(timeout=30_000)
        box = page.locator('[data-testid="stChatInputTextArea"]')
        for n, line in enumerate(agent_lines("hostile")[:3], start=1):
            box.fill(line)
            box.press("Enter")
            page.wait_for_function(f"document.querySelectorAll('[data-testid=stChatMessage]').length >= {2 * n + 1}",
                                   timeout=30_000)
            page.wait_for_timeout(1200)
        page.get_by_role("button", name="Finish the attempt").click()
        page.get_by_text("Finish the attempt now?").wait_for(timeout=15_000)
        attempt_id = services.certification.running_attempt(Actor(2, "ann", "trainee"))
        assert attempt_id is not None and _attempt(services, attempt_id.id).active  # nothing happened yet
        page.get_by_role("button", name="Yes, finish and grade it").click()
        page.get_by_text("You finished attempt 1 of Q4 certification").wait_for(timeout=60_000)
        page.get_by_text("Awaiting a reviewer's confirmation").first.wait_for(timeout=30_000)
        _no_problem(page)

        # HR: the only result awaits review, so the pass rate is pending, and no score cell says None
        hr = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True).new_page()
        hr.goto(f"{url}/campaigns")
        log_in(hr, "root", "admin-password")
        hr.get_by_text("Awaiting review", exact=True).wait_for(timeout=30_000)
        rate = hr.locator('[data-testid="stMetric"]').filter(has_text="Pass rate")
        assert "pending" in rate.inner_text() and "0%" not in rate.inner_text()
        grid = hr.locator('[data-testid="stDataFrame"]').last
        grid.wait_for(timeout=15_000)
        hr.screenshot(path=str(tmp_path / "campaign-pending.png"), full_page=True)
        rows = _grid_rows(hr, grid)
        assert len(rows) == 2 and all(cell.strip() and cell != "None" for row in rows for cell in row), rows
        assert rows[1][:4] == ["bob", "–", "0", "not started"] and rows[1][-2] == "–"  # best score: a dash

        # the decision asks first, then says what it did
        hr.get_by_role("link", name="Open the review queue").click()
        hr.get_by_label("Reason (shown with the result)").fill("Owned the problem and set a time: a pass.")
        hr.get_by_role("button", name="Record the decision").click()
        hr.get_by_text("for ann's attempt 1?").wait_for(timeout=15_000)
        assert _attempt(services, attempt_id.id).outcome == "review"  # not recorded before the confirmation
        hr.get_by_role("button", name="Yes, record it").click()
        hr.get_by_text("Recorded: ann's attempt 1 of Q4 certification is passed; certificate CERT-").wait_for(
            timeout=30_000)
        _no_problem(hr)
        code = _attempt(services, attempt_id.id).certificate
        assert code is not None

        # HR sees the code and downloads the certificate and the CSV from the Campaigns page
        hr.get_by_role("link", name="Campaigns").click()
        hr.get_by_text(f"Verification code {code}").wait_for(timeout=30_000)
        assert code in _grid_text(hr, hr.locator('[data-testid="stDataFrame"]').last)
        rate = hr.locator('[data-testid="stMetric"]').filter(has_text="Pass rate")
        assert "100%" in rate.inner_text()
        with hr.expect_download(timeout=30_000) as download:
            hr.get_by_role("button", name="Download ann's certificate (PDF)").click()
        assert download.value.suggested_filename == f"certificate-{code}.pdf"
        words = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes())).pages[0].extract_text()
        assert code in words and "python" not in words
        assert f"https://practice.example.com/verify?code={code}" in words
        with hr.expect_download(timeout=30_000) as exported:
            hr.get_by_role("button", name="Export this campaign (CSV)").click()
        csv_text = Path(exported.value.path()).read_text()
        assert csv_text.splitlines()[0].endswith(",certificate") and code in csv_text and "None" not in csv_text
        hr.screenshot(path=str(tmp_path / "campaign-certified.png"), full_page=True)
        _no_problem(hr)

        # anyone checks the code without an account (the login page links to it); a few checks a minute
        outsider = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        outsider.goto(url)
        outsider.get_by_role("link", name="Verify a certificate (no login needed)").click()
        outsider.get_by_label("Verification code").fill(code)
        outsider.get_by_role("button", name="Check the code").click()
        outsider.get_by_text("Valid.").wait_for(timeout=30_000)
        assert outsider.get_by_role("button", name="Log in").count() == 0
        outsider.screenshot(path=str(tmp_path / "verify-public.png"), full_page=True)
        outsider.goto(f"{url}/verify?code={code}")
        outsider.get_by_text("Valid.").wait_for(timeout=30_000)
        outsider.get_by_label("Verification code").fill("CERT-0000-0000-0000")
        outsider.get_by_role("button", name="Check the code").click()
        outsider.get_by_text("No certificate has this code").wait_for(timeout=30_000)
        limited = outsider.get_by_text("Too many checks from your address: at most 3 per minute")
        for _ in range(4):  # the fourth check in a minute is refused (a minute's edge may restart the count once)
            outsider.get_by_role("button", name="Check the code").click()
            outsider.wait_for_timeout(1500)
            if limited.count():
                break
        limited.wait_for(timeout=10_000)
        outsider.screenshot(path=str(tmp_path / "verify-limited.png"), full_page=True)
        _no_problem(outsider)
        browser.close()


def _grid_rows(page: Any, grid: Any) -> list[list[str]]:
    """The body cells of a glide-data-grid dataframe, row by row (Streamlit draws a null as a grey "None" on
    the canvas and leaves its ARIA cell empty)."""
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    rows: list[list[str]] = grid.evaluate(
        "e => Array.from(e.querySelectorAll('tbody tr')).map(r => Array.from(r.querySelectorAll('td'))"
        ".map(c => c.textContent.trim()))")
    return rows


def _grid_text(page: Any, grid: Any) -> str:
    """The text of a glide-data-grid dataframe (drawn on a canvas; its cells are mirrored in an ARIA table)."""
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    text: str = grid.evaluate("e => e.innerText + ' ' + Array.from(e.querySelectorAll('td,th'))"
                              ".map(c => c.textContent).join(' ')")
    return text
