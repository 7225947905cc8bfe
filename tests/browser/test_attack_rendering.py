"""Text people and the model wrote, in a real headless Chromium: a persona whose name and title carry a Markdown
image and link, rubric criteria named with Markdown, a dispute's customers named with Markdown, URLs in the
trainee's and the customer's lines, Markdown in a comment, an override and a dispute. Each page shows the words,
and no element links to the outside host or loads anything from it (the browser asks it for nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, ROOT, finish, log_in, send, serve, settle

pytestmark = pytest.mark.browser
WAIT = 60_000
HOST = "example.invalid"
IMAGE = f"![pic](http://{HOST}/p.png)"
LINK = f"[Reset your password here](http://{HOST}/reset)"
URLS = f"http://{HOST}/status, www.{HOST} or help@{HOST}"
#: Every customer line carries a URL (the scripted backend speaks only these lines, as a model could).
CUSTOMER_TAIL = f" **Now** read http://{HOST}/status or www.{HOST}."
TRAINEE = (f"I am sorry. See http://{HOST}/help or [click here](http://{HOST}/x), _really_, "
           f"www.{HOST} and help@{HOST}")


def _tail(lines: Any) -> Any:
    """Every line of a bank with the URL tail added."""
    if isinstance(lines, str):
        return lines + CUSTOMER_TAIL
    if isinstance(lines, list):
        return [_tail(x) for x in lines]
    if isinstance(lines, dict):
        return {k: _tail(v) for k, v in lines.items()}
    return lines


def _personas() -> tuple[str, str]:
    """A hostile customer and a dispute whose names, titles and lines a trainer wrote with Markdown and URLs."""
    hostile = yaml.safe_load((ROOT / "personas" / "hostile.yaml").read_text())
    hostile.update(slug="evil-hostile", name=f"Derek {IMAGE} Malone", title=f"{LINK} Hostile",
                   summary=f"Card summary {IMAGE} with [a link](http://{HOST}/s).",
                   opening_lines=_tail(hostile["opening_lines"]), lines=_tail(hostile["lines"]))
    dispute = yaml.safe_load((ROOT / "personas" / "dispute.yaml").read_text())
    dispute.update(slug="evil-dispute", name=f"Elena {IMAGE} Vasquez", title=f"Dispute {LINK}")
    dispute["dispute"]["second"]["name"] = f"Marcus [Webb](http://{HOST}/m)"
    return yaml.safe_dump(hostile, sort_keys=False), yaml.safe_dump(dispute, sort_keys=False)


def _rubric() -> str:
    text = (ROOT / "grading" / "rubric.yaml").read_text()
    marked = text.replace("name: Listening and acknowledging",
                          f'name: "Listening {IMAGE} and [acknowledging](http://{HOST}/c)"', 1)
    marked = marked.replace('meaning: "Ignores how the customer feels and goes straight to process."',
                            f'meaning: "Ignores the feeling {IMAGE} [see](http://{HOST}/l)."', 1)
    assert marked.count(HOST) == 4
    return marked


def _clean(page: Any, *words: str) -> None:
    """Once ``words`` show on the page (they read the same linked or not): no element links to the outside host,
    none loads from it, and no line a person or the model wrote in the chat is emphasised or made a heading."""
    for word in words:
        page.get_by_text(word).filter(visible=True).first.wait_for(timeout=WAIT)
    settle(page)
    links = page.locator(f'a[href*="{HOST}"]')
    images = page.locator(f'img[src*="{HOST}"]')
    assert links.count() == 0, [links.nth(i).evaluate("e => e.outerHTML") for i in range(links.count())]
    assert images.count() == 0, [images.nth(i).evaluate("e => e.outerHTML") for i in range(images.count())]
    said = page.locator("[data-testid=stChatMessage] [data-testid=stMarkdownContainer]")
    styled = said.locator("em, h1, h2, h3, h4, h5, h6, a, img").or_(said.locator("strong").filter(has_text="Now"))
    assert styled.count() == 0, [styled.nth(i).evaluate("e => e.outerHTML") for i in range(styled.count())]


def _shown(page: Any, *texts: str) -> None:
    """``texts`` read on the page exactly as they were typed (invisible zero-width spaces aside)."""
    body = str(page.locator("body").inner_text()).replace("\u200b", "")
    missing = [t for t in texts if t not in body]
    assert not missing, (missing, body)


def test_user_text_renders_as_plain_words(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from services import Actor, build_services
    from settings import Settings

    services = build_services(Settings())
    system = Actor.system()
    ann = services.auth.create_user(system, username="ann", role="trainee", password="ann-password")
    tina = services.auth.create_user(system, username="tina", role="trainer", password="tina-password")
    ada = services.auth.create_user(system, username="ada", role="admin", password="ada-password")
    services.rubrics.publish(ada, _rubric(), note=f"see {LINK}")
    hostile, dispute = _personas()
    services.scenarios.publish(ada, hostile, note=f"see {LINK}")
    services.scenarios.publish(ada, dispute)
    chat = services.practice.start(ann, persona_slug="evil-hostile", difficulty="normal", seed=1).finish()
    both = services.practice.start(ann, persona_slug="evil-dispute", difficulty="normal", seed=1).finish()
    assert chat is not None and both is not None
    asked: list[str] = []  # every request the browsers make to the outside host (aborted)

    def refuse(route: Any) -> None:
        asked.append(route.request.url)
        route.abort()

    with serve(tmp_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.route(f"**/*{HOST}*", refuse)
        page = context.new_page()
        page.goto(f"{url}/chat?session={chat.id}")
        log_in(page, "ann", "ann-password")
        # the chat header, the unfinished-chats buttons (both customers) and the customer's opening line
        _clean(page, "Reset your password here", "Malone", "Vasquez", f"{HOST}/status")
        _shown(page, f"Derek {IMAGE} Malone · {LINK} Hostile", f"Elena {IMAGE} Vasquez", CUSTOMER_TAIL.strip())
        send(page, TRAINEE, 3)
        _clean(page, "click here", f"{HOST}/help")
        _shown(page, TRAINEE)
        assert page.locator("[data-testid=stChatMessage]").count() >= 3

        dispute_page = context.new_page()  # a new tab: its own browser session, logged in by the cookie
        dispute_page.goto(f"{url}/chat?session={both.id}")
        log_in(dispute_page, "ann", "ann-password")
        _clean(dispute_page, "Reset your password here", "Webb", "Vasquez")
        _shown(dispute_page, f"Dispute {LINK}", f"Marcus [Webb](http://{HOST}/m)", f"Elena {IMAGE} Vasquez")
        dispute_page.close()

        finish(page)
        page.get_by_role("heading", name="Your report").wait_for(timeout=WAIT)
        _clean(page, "Reset your password here", "acknowledging")
        _shown(page, f"Derek {IMAGE} Malone · {LINK} Hostile", f"Listening {IMAGE} and [acknowledging](http://{HOST}/c)")
        services.review.comment(tina, chat.id, turn=2, body=f"Good. {LINK} {IMAGE} www.{HOST}")
        services.grading.override(tina, chat.id, criterion_id="acknowledge", level=2,
                                  reason=f"Overridden: {LINK} {IMAGE}")
        services.disputes.open(ann, chat.id, "apology", f"I disagree {LINK} {IMAGE} http://{HOST}/why")
        page.reload()
        log_in(page, "ann", "ann-password")
        page.get_by_role("heading", name="Your report").wait_for(timeout=WAIT)
        for criterion in ("acknowledging", "A sincere apology"):  # open the two criteria (the conversation is open)
            page.locator("summary").filter(has_text=criterion).first.click()
        _clean(page, "Overridden by tina", "I disagree", "Good.")
        _shown(page, f"Overridden: {LINK} {IMAGE}", f"I disagree {LINK} {IMAGE} http://{HOST}/why",
               f"Good. {LINK} {IMAGE} www.{HOST}")

        page.goto(f"{url}/history")
        log_in(page, "ann", "ann-password")
        page.get_by_role("heading", name="My progress").wait_for(timeout=WAIT)
        _clean(page, "Malone")
        _shown(page, f"Derek {IMAGE} Malone")

        trainer = browser.new_context(viewport={"width": 1400, "height": 1000})
        trainer.route(f"**/*{HOST}*", refuse)
        staff = trainer.new_page()
        staff.goto(f"{url}/report?session={chat.id}")
        log_in(staff, "tina", "tina-password")
        staff.get_by_role("heading", name="Report: ann").wait_for(timeout=WAIT)
        _clean(staff, "Reset your password here", "Good.", "click here")
        _shown(staff, f"Good. {LINK} {IMAGE} www.{HOST}", TRAINEE)
        for path, heading, words in (("review", "Review transcripts", ()),
                                     ("review?show=Disputes", "Review transcripts", ("I disagree",)),
                                     ("cert_review", "Certification review", ()),
                                     ("scenarios", "Scenarios", ())):
            staff.goto(f"{url}/{path}")
            log_in(staff, "tina", "tina-password")
            staff.get_by_role("heading", name=heading).wait_for(timeout=WAIT)
            _clean(staff, *words)
        browser.close()
    assert not asked, asked
