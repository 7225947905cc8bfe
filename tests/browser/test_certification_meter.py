"""The frustration meter during a certification attempt (HR and certification walk): shown unless the campaign
hides live aids, and, as on the practice chat, pinned in view while the conversation grows below it (it used to
scroll away above the screen after a few turns, so the trainee never saw it)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import log_in, send, serve

pytestmark = pytest.mark.browser

METER = '[role="progressbar"][aria-label="Customer frustration"]'
LINES = ["Can I have your order number, please?", "I understand, that must be frustrating.",
         "Let me check the tracking for you right now.", "I can book a new slot on Saturday morning."]


def _world(tmp_path: Path) -> None:
    from db.models import utcnow
    from services import Actor, build_services
    from settings import Settings

    services = build_services(Settings(data_dir=tmp_path / "data"))
    system = Actor.system()
    for name in ("ann", "bob"):
        services.auth.create_user(system, username=name, role="trainee", password=f"{name}-password")
    for trainee, hide in (("ann", False), ("bob", True)):
        created = services.certification.create_campaign(system, {
            "name": f"Campaign for {trainee}", "scenarios": [("hostile", "normal")], "hide_aids": hide,
            "trainees": [trainee], "opens_at": utcnow() - timedelta(hours=1),
            "closes_at": utcnow() + timedelta(days=3)})
        services.certification.open_campaign(system, created.id)


def _start(browser: Any, url: str, who: str) -> Any:
    page = browser.new_context(viewport={"width": 1300, "height": 700}).new_page()
    page.goto(f"{url}/certification")
    log_in(page, who, f"{who}-password")
    page.get_by_role("button", name="Start attempt 1").click()
    page.get_by_text("scenario 1 of 1").wait_for(timeout=30_000)
    page.locator('[data-testid="stChatMessage"]').first.wait_for(timeout=30_000)  # the customer's opening
    return page


def test_the_meter_stays_in_view_unless_the_campaign_hides_live_aids(browser: Any, tmp_path: Path) -> None:
    _world(tmp_path)
    with serve(tmp_path) as url:
        ann = _start(browser, url, "ann")
        ann.locator(METER).wait_for(timeout=30_000)
        for n, line in enumerate(LINES, start=1):
            send(ann, line, at_least=2 * n + 1)
        ann.locator('[data-testid="stChatInputTextArea"]').scroll_into_view_if_needed()  # where the trainee types
        # in view: its top below the page's header and its bottom above the screen's lower edge
        ann.wait_for_function(
            f"(() => {{ const r = document.querySelector('{METER}').getBoundingClientRect();"
            " return r.top >= 0 && r.bottom <= window.innerHeight; })()", timeout=15_000)
        assert float(ann.locator(METER).get_attribute("aria-valuenow") or "nan") >= 0

        bob = _start(browser, url, "bob")  # his campaign hides live aids
        assert bob.locator(METER).count() == 0 and bob.get_by_text("Customer frustration").count() == 0
