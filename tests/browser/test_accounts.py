"""HR's people on Settings, in a real headless Chromium: accounts and the managed list of teams (issue 11)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import log_in, pick, serve, settle

pytestmark = pytest.mark.browser

WAIT = 30_000


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    with serve(tmp_path) as url:
        yield url



def settings_as_first_admin(browser: Any, url: str) -> Any:
    page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
    page.goto(url)
    page.get_by_text("Create the first admin account").wait_for(timeout=WAIT)
    fields = page.locator('[data-testid="stTextInputRootElement"] input')
    fields.nth(0).fill("root")
    fields.nth(1).fill("admin-password")
    fields.nth(2).fill("admin-password")
    page.get_by_role("button", name="Create admin and log in").click()
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("heading", name="Accounts").wait_for(timeout=WAIT)
    return page


def accounts_table(page: Any) -> list[list[str]]:
    """The accounts table's rows as the grid's accessible table has them (the first data frame on Settings)."""
    rows = page.locator('[data-testid="stDataFrame"]').first.locator("tbody tr")
    return [[c.strip() for c in rows.nth(i).locator("td").all_text_contents()] for i in range(rows.count())]


def wait_for_row(page: Any, username: str) -> list[str]:
    page.wait_for_function(
        "name => [...document.querySelectorAll('[data-testid=stDataFrame]')[0].querySelectorAll('tbody tr')]"
        ".some(r => r.querySelector('td') && r.querySelector('td').textContent.trim() === name)",
        arg=username, timeout=WAIT)
    return next(r for r in accounts_table(page) if r and r[0] == username)


def wait_for_cells(page: Any, username: str, cells: list[str]) -> None:
    """Wait until the account's row shows these cells (from the second column on): the grid redraws a moment
    after the page."""
    page.wait_for_function(
        "([name, cells]) => [...document.querySelectorAll('[data-testid=stDataFrame]')[0].querySelectorAll('tbody tr')]"
        ".some(r => { const t = [...r.querySelectorAll('td')].map(c => c.textContent.trim());"
        " return t[0] === name && cells.every((c, i) => t[i + 1] === c); })",
        arg=[username, cells], timeout=WAIT)


def form(page: Any, key: str) -> Any:
    return page.locator(f'[data-testid="stForm"]:has(button:has-text("{key}"))')


def add_team(page: Any, name: str) -> None:
    page.get_by_role("tab", name="Add a team").click()
    box = form(page, "Add team")
    box.get_by_label("Team name", exact=True).fill(name)
    box.get_by_role("button", name="Add team").click()


def test_create_shows_at_once_and_an_error_keeps_the_fields(browser: Any, app_url: str, tmp_path: Path) -> None:
    page = settings_as_first_admin(browser, app_url)
    create = form(page, "Create account")
    create.get_by_label("Username", exact=True).fill("bob")
    create.get_by_label("Initial password (at least 8 characters)", exact=True).fill("bob-password")
    create.get_by_role("button", name="Create account").click()
    create.get_by_text("Created trainee 'bob'.").wait_for(timeout=WAIT)
    wait_for_cells(page, "bob", ["", "trainee"])  # in the table at once, without a reload
    assert create.get_by_label("Username", exact=True).input_value() == ""  # done: the form is ready for the next

    create.get_by_label("Username", exact=True).fill("ann")
    create.get_by_label("Initial password (at least 8 characters)", exact=True).fill("short")
    create.get_by_role("button", name="Create account").click()
    create.get_by_text("Passwords need at least 8 characters.").wait_for(timeout=WAIT)
    assert create.get_by_label("Username", exact=True).input_value() == "ann"  # nothing typed is lost
    password_box = create.get_by_label("Initial password (at least 8 characters)", exact=True).bounding_box()
    error_box = create.get_by_text("Passwords need at least 8 characters.").bounding_box()
    assert error_box["y"] > password_box["y"]  # the message sits under the field it is about
    assert all(r[0] != "ann" for r in accounts_table(page))

    create.get_by_label("Username", exact=True).fill("bob")
    create.get_by_label("Initial password (at least 8 characters)", exact=True).fill("another-password")
    create.get_by_role("button", name="Create account").click()
    create.get_by_text("The username 'bob' is taken.").wait_for(timeout=WAIT)
    username_box = create.get_by_label("Username", exact=True).bounding_box()
    taken_box = create.get_by_text("The username 'bob' is taken.").bounding_box()
    assert username_box["y"] < taken_box["y"] < password_box["y"]  # under the username, not the password
    assert create.get_by_label("Initial password (at least 8 characters)", exact=True).input_value() \
        == "another-password"
    page.screenshot(path=str(tmp_path / "accounts-error.png"), full_page=True)


def test_teams_are_a_managed_list_and_an_account_is_edited(browser: Any, app_url: str, tmp_path: Path) -> None:
    page = settings_as_first_admin(browser, app_url)
    add_team(page, "Team North")
    page.get_by_text("Added the team 'Team North'.").wait_for(timeout=WAIT)
    add_team(page, "team  NORTH")
    page.get_by_text("There is already a team 'Team North'").wait_for(timeout=WAIT)
    assert form(page, "Add team").get_by_label("Team name", exact=True).input_value() == "team  NORTH"
    add_team(page, "Team South")
    page.get_by_text("Added the team 'Team South'.").wait_for(timeout=WAIT)

    create = form(page, "Create account")
    create.get_by_label("Username", exact=True).fill("ann")
    create.get_by_label("Full name (printed on certificates; optional)", exact=True).fill("Ann Exampel")
    pick(page, create, "Team", "Team North")
    create.get_by_label("Initial password (at least 8 characters)", exact=True).fill("ann-password")
    create.get_by_role("button", name="Create account").click()
    wait_for_cells(page, "ann", ["Ann Exampel", "trainee", "Team North"])

    page.get_by_role("tab", name="Change an account").click()
    pick(page, page, "Account to change", "ann")
    change = form(page, "Save changes")
    change.get_by_text("ann", exact=True).wait_for(timeout=WAIT)
    change.get_by_label("Full name", exact=True).fill("Ann Example")
    pick(page, change, "Role", "trainer")
    pick(page, change, "Team", "Team South")
    change.get_by_role("button", name="Save changes").click()
    change.get_by_text("Saved 'ann'").wait_for(timeout=WAIT)
    wait_for_cells(page, "ann", ["Ann Example", "trainer", "Team South", "active"])
    page.screenshot(path=str(tmp_path / "accounts-edited.png"), full_page=True)


def test_disable_logs_out_and_blocks_login_and_a_reset_password_works(browser: Any, app_url: str) -> None:
    admin = settings_as_first_admin(browser, app_url)
    create = form(admin, "Create account")
    for name in ("ann", "bob"):
        create.get_by_label("Username", exact=True).fill(name)
        create.get_by_label("Initial password (at least 8 characters)", exact=True).fill(f"{name}-password")
        create.get_by_role("button", name="Create account").click()
        wait_for_row(admin, name)

    ann = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    ann.goto(app_url)
    ann.get_by_role("button", name="Log in").wait_for(timeout=WAIT)
    log_in(ann, "ann", "ann-password")
    ann.get_by_text("Logged in as").wait_for(timeout=WAIT)

    admin.get_by_role("tab", name="Change an account").click()
    pick(admin, admin, "Account to change", "ann")
    admin.get_by_role("button", name="Disable ann…").click()
    admin.get_by_role("button", name="Yes, disable ann").click()
    admin.get_by_text("Disabled 'ann'").wait_for(timeout=WAIT)
    wait_for_cells(admin, "ann", ["", "trainee", "", "disabled"])
    settle(admin)  # the picker stays on ann although her status changed (it once jumped to the first account)
    form(admin, "Reset password").get_by_text("Reset the password of ann").wait_for(timeout=WAIT)
    admin.get_by_role("button", name="Enable ann…").click()
    admin.get_by_role("button", name="Yes, enable ann").click()
    admin.get_by_text("Enabled 'ann' again").wait_for(timeout=WAIT)
    settle(admin)
    form(admin, "Reset password").get_by_text("Reset the password of ann").wait_for(timeout=WAIT)
    again = form(admin, "Reset password")  # then a password reset goes to ann and says so
    again.get_by_label("New password (at least 8 characters)", exact=True).fill("ann-new-password")
    again.get_by_label("Repeat the new password", exact=True).fill("ann-new-password")
    again.get_by_role("button", name="Reset password").click()
    admin.get_by_text("New password set for 'ann'").wait_for(timeout=WAIT)
    settle(admin)
    form(admin, "Reset password").get_by_text("Reset the password of ann").wait_for(timeout=WAIT)
    admin.get_by_role("button", name="Disable ann…").click()
    admin.get_by_role("button", name="Yes, disable ann").click()
    admin.get_by_text("Disabled 'ann'").wait_for(timeout=WAIT)
    settle(admin)
    form(admin, "Reset password").get_by_text("Reset the password of ann").wait_for(timeout=WAIT)

    ann.get_by_role("link", name="My progress").click()  # her next page load
    ann.get_by_role("button", name="Log in").wait_for(timeout=WAIT)
    assert ann.get_by_text("Logged in as").count() == 0
    log_in(ann, "ann", "ann-new-password")
    ann.get_by_text("This account is disabled: ask an admin.").wait_for(timeout=WAIT)

    pick(admin, admin, "Account to change", "bob")
    reset = form(admin, "Reset password")
    reset.get_by_text("Reset the password of bob").wait_for(timeout=WAIT)
    reset.get_by_label("New password (at least 8 characters)", exact=True).fill("bob-new-password")
    reset.get_by_label("Repeat the new password", exact=True).fill("bob-new-passwort")
    reset.get_by_role("button", name="Reset password").click()
    reset.get_by_text("The two passwords differ.").wait_for(timeout=WAIT)
    reset.get_by_label("Repeat the new password", exact=True).fill("bob-new-password")
    reset.get_by_role("button", name="Reset password").click()
    reset.get_by_text("New password set for 'bob'").wait_for(timeout=WAIT)

    bob = browser.new_context().new_page()
    bob.goto(app_url)
    bob.get_by_role("button", name="Log in").wait_for(timeout=WAIT)
    log_in(bob, "bob", "bob-password")
    bob.get_by_text("Wrong username or password.").wait_for(timeout=WAIT)
    log_in(bob, "bob", "bob-new-password")
    bob.get_by_text("Logged in as").wait_for(timeout=WAIT)
