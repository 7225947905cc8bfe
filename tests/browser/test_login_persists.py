"""A password login survives a reload and a new tab (an HTTP-only cookie tied to a server-side login session),
and logout, an admin's "sign out everywhere", expiry and tampering end it. Headless Chromium against
``streamlit run server.py``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from db.models import utcnow
from services import Actor, build_services
from services.login_sessions import COOKIE_NAME
from settings import Settings
from tests.browser.helpers import log_in, serve
from tests.conftest import run_sql

pytestmark = pytest.mark.browser


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    services = build_services(Settings(data_dir=tmp_path / "data"))
    services.auth.create_user(Actor.system(), username="root", role="admin", password="admin-password")
    services.auth.create_user(Actor.system(), username="ann", role="trainee", password="ann-password")
    with serve(tmp_path) as url:
        yield url



def _login_cookie(context: Any, *, present: bool = True, timeout: float = 15) -> dict[str, Any] | None:
    """The login cookie once the page has set (or cleared) it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [c for c in context.cookies() if c["name"] == COOKIE_NAME]
        if bool(found) == present:
            return found[0] if found else None
        time.sleep(0.2)
    raise AssertionError(f"the login cookie was {'never set' if present else 'not cleared'}")


def _logged_in_page(browser: Any, url: str, username: str, password: str, path: str = "") -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.goto(f"{url}{path}")
    page.get_by_role("button", name="Log in").wait_for(timeout=60_000)
    log_in(page, username, password)
    page.get_by_text(f"Logged in as {username}").wait_for(timeout=30_000)
    return context, page


def _shows_login_form(page: Any) -> None:
    page.get_by_role("button", name="Log in").wait_for(timeout=30_000)
    page.get_by_text("Logged in as").wait_for(state="detached", timeout=30_000)


def test_a_reload_and_a_new_tab_keep_the_login(app_url: str, browser: Any, tmp_path: Path) -> None:
    context, page = _logged_in_page(browser, app_url, "ann", "ann-password", "/history")
    cookie = _login_cookie(context)
    assert cookie is not None
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    days = (cookie["expires"] - time.time()) / 86400
    assert 13.9 < days <= 14.01  # SESSION_DAYS
    assert page.evaluate("document.cookie").find(COOKIE_NAME) == -1  # scripts cannot read it
    page.reload()
    page.get_by_text("Logged in as ann (trainee)").wait_for(timeout=30_000)
    page.get_by_role("heading", name="progress").first.wait_for(timeout=30_000)  # the same page
    assert "/history" in page.url
    assert page.get_by_role("button", name="Log in").count() == 0
    tab = context.new_page()
    tab.goto(f"{app_url}/chat")
    tab.get_by_text("Logged in as ann (trainee)").wait_for(timeout=30_000)
    tab.get_by_role("button", name="Start new chat").wait_for(timeout=30_000)
    page.screenshot(path=str(tmp_path / "after-reload.png"), full_page=True)


def test_logout_then_reload_shows_the_login_form(app_url: str, browser: Any) -> None:
    context, page = _logged_in_page(browser, app_url, "ann", "ann-password")
    value = _login_cookie(context)
    assert value is not None
    page.get_by_role("button", name="Log out").click()
    _shows_login_form(page)
    _login_cookie(context, present=False)
    page.reload()
    _shows_login_form(page)
    # the old cookie, kept by someone who copied it before the logout, no longer logs anyone in
    thief = browser.new_context()
    thief.add_cookies([{**value, "expires": time.time() + 3600}])
    stolen = thief.new_page()
    stolen.goto(app_url)
    _shows_login_form(stolen)
    stolen.get_by_text("You were signed out").wait_for(timeout=10_000)


def test_an_admin_signs_an_account_out_everywhere(app_url: str, browser: Any, tmp_path: Path) -> None:
    ann_context, ann = _logged_in_page(browser, app_url, "ann", "ann-password")
    _login_cookie(ann_context)
    _, admin = _logged_in_page(browser, app_url, "root", "admin-password", "/admin_settings")
    admin.get_by_role("heading", name="Sign out everywhere").wait_for(timeout=30_000)
    section = admin.get_by_test_id("stForm").filter(has_text="Sign out everywhere")
    option = admin.get_by_role("option", name="ann", exact=True)
    for _ in range(5):  # the dropdown may close again if the page is still finishing a rerun
        section.get_by_label("Account", exact=True).click()
        try:
            option.wait_for(timeout=3_000)
            break
        except Exception:
            admin.keyboard.press("Escape")
    option.click()
    section.get_by_role("button", name="Sign out everywhere").click()
    admin.get_by_text("Signed ann out of 1 browser login").wait_for(timeout=30_000)
    admin.screenshot(path=str(tmp_path / "admin-revoke.png"), full_page=True)
    ann.reload()
    _shows_login_form(ann)
    ann.get_by_text("An admin signed you out").wait_for(timeout=10_000)
    ann.screenshot(path=str(tmp_path / "revoked.png"), full_page=True)
    assert admin.get_by_text("Logged in as root").count() == 1  # the admin's own login is untouched


def test_a_revoked_login_ends_an_open_page_at_its_next_click(app_url: str, browser: Any, tmp_path: Path) -> None:
    context, page = _logged_in_page(browser, app_url, "ann", "ann-password")
    _login_cookie(context)
    services = build_services(Settings(data_dir=tmp_path / "data"))
    ann = next(u for u in services.auth.users(Actor.system()) if u.username == "ann")
    assert ann.id is not None
    services.login_sessions.revoke_user(Actor.system(), ann.id)
    page.get_by_role("link", name="My progress").click()
    _shows_login_form(page)


def test_an_expired_or_tampered_cookie_is_refused(app_url: str, browser: Any, tmp_path: Path) -> None:
    context, page = _logged_in_page(browser, app_url, "ann", "ann-password")
    cookie = _login_cookie(context)
    assert cookie is not None
    head, _, signature = cookie["value"].rpartition(".")
    tampered = browser.new_context()
    tampered.add_cookies([{**cookie, "value": head + "." + ("A" if signature[0] != "A" else "B") + signature[1:]}])
    forged = tampered.new_page()
    forged.goto(app_url)
    _shows_login_form(forged)
    forged.get_by_text("could not be verified").wait_for(timeout=10_000)
    _login_cookie(tampered, present=False)  # and the page clears it
    run_sql(f"sqlite:///{tmp_path / 'data' / 'practice.db'}", "update login_sessions set expires_at = :t",
            {"t": utcnow().replace(year=2020)})
    page.reload()
    _shows_login_form(page)
    page.get_by_text("Your login has expired").wait_for(timeout=10_000)


def test_a_stolen_code_cannot_be_used_from_another_site(app_url: str, browser: Any) -> None:
    page = browser.new_context().new_page()
    page.goto(app_url)
    status = page.evaluate("""async () => (await fetch('/auth/session', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify({code: 'made-up'})})).status""")
    assert status == 400
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"{app_url}/auth/session", data=b'{"code": "x"}', method="POST",
                                     headers={"Origin": "https://evil.example", "Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
