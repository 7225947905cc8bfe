"""A real headless Chromium (Debian's package) against the app served by `streamlit run`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, free_port, log_in, serve
from tests.conftest import agent_lines, run_sql

pytestmark = pytest.mark.browser


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    with serve(tmp_path) as url:
        yield url


def test_send_a_message_and_see_the_customer_reply(app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is required (make test installs it)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app_url)
        page.get_by_text("Create the first admin account").wait_for(timeout=30_000)
        fields = page.locator('[data-testid="stTextInputRootElement"] input')
        fields.nth(0).fill("root")
        fields.nth(1).fill("admin-password")
        fields.nth(2).fill("admin-password")
        page.get_by_role("button", name="Create admin and log in").click()
        page.get_by_role("button", name="Start new chat").click()
        messages = page.locator('[data-testid="stChatMessage"]')
        messages.first.wait_for(timeout=30_000)
        box = page.locator('[data-testid="stChatInputTextArea"]')
        box.fill("I'm so sorry about the missed deliveries. Could you give me your order number?")
        box.press("Enter")
        page.wait_for_function("document.querySelectorAll('[data-testid=stChatMessage]').length >= 3",
                               timeout=30_000)
        page.wait_for_timeout(1000)
        texts = [t.strip() for t in messages.all_inner_texts()]
        assert "order number" in texts[1]
        assert "FS-88412" in texts[2]
        assert "session=1" in page.url
        page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
        page.reload()  # a new browser session, still logged in (the login cookie): the link brings the chat back
        page.get_by_text("Logged in as root (admin)").wait_for(timeout=30_000)
        assert page.get_by_role("button", name="Log in", exact=True).count() == 0
        page.wait_for_function("document.querySelectorAll('[data-testid=stChatMessage]').length >= 3",
                               timeout=30_000)
        assert "FS-88412" in messages.all_inner_texts()[2]
        browser.close()


def test_a_deep_link_as_the_first_request_goes_through_login(app_url: str) -> None:
    """The first request after a restart names a page: it must show the login form, not run the page alone."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(f"{app_url}/history")
        page.get_by_text("Create the first admin account").wait_for(timeout=30_000)
        assert page.get_by_text("Please log in.").count() == 0
        fields = page.locator('[data-testid="stTextInputRootElement"] input')
        fields.nth(0).fill("root")
        fields.nth(1).fill("admin-password")
        fields.nth(2).fill("admin-password")
        page.get_by_role("button", name="Create admin and log in").click()
        page.get_by_role("heading", name="Progress", exact=True).wait_for(timeout=30_000)
        assert "/history" in page.url
        browser.close()


def test_single_sign_on_maps_the_identity_to_a_role_and_survives_a_reload(tmp_path: Path) -> None:
    """st.login against a FAKE OIDC provider (tests/fakes/oidc_provider.py): no real one is reachable here."""
    from playwright.sync_api import sync_playwright

    from tests.fakes.oidc_provider import FakeOIDCProvider

    with FakeOIDCProvider({"email": "hr@corp.example", "email_verified": True, "name": "Hana R"}) as idp:
        port = free_port()
        secrets_file = tmp_path / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{"s" * 32}"\n'
            f'client_id = "{idp.client_id}"\n'
            'client_secret = "fake-secret"\n'
            f'server_metadata_url = "{idp.url}/.well-known/openid-configuration"\n')
        env = {"SSO_ADMINS": '["hr@corp.example"]', "SSO_DOMAINS": '["corp.example"]'}
        with serve(tmp_path, env, ("--secrets.files", str(secrets_file)), port) as url, \
                sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(url)
            page.get_by_role("button", name="Sign in with single sign-on").click()
            page.get_by_text("Logged in as hr@corp.example (admin)").wait_for(timeout=30_000)
            assert page.get_by_role("link", name="Settings").count() == 1  # an admin's navigation
            page.reload()  # the identity cookie signs the new browser session on again
            page.get_by_text("Logged in as hr@corp.example (admin)").wait_for(timeout=30_000)
            page.get_by_role("button", name="Log out").click()
            # logging out navigates through the server's logout route: on a loaded machine that can take a while
            page.get_by_role("button", name="Sign in with single sign-on").wait_for(timeout=120_000)
            browser.close()


def test_certification_end_to_end(tmp_path: Path) -> None:
    """HR's campaign, taken in the browser: a pass, its PDF certificate verified in the app and on the command
    line, and then a grade changed behind the app's back is caught by verify-audit."""
    from datetime import timedelta

    from playwright.sync_api import sync_playwright

    from db.models import utcnow
    from services import Actor, build_services
    from settings import Settings
    from tests.db.test_cli import db_cli

    url_db = f"sqlite:///{tmp_path / 'data' / 'practice.db'}"
    services = build_services(Settings(data_dir=tmp_path / "data"))
    system = Actor.system()
    services.auth.create_user(system, username="root", role="admin", password="admin-password")
    services.auth.create_user(system, username="ann", role="trainee", password="ann-password", team="red")
    created = services.certification.create_campaign(system, {
        "name": "Q4 certification", "scenarios": [("hostile", "normal")], "review_margin": 0,
        "opens_at": utcnow() - timedelta(hours=1), "closes_at": utcnow() + timedelta(days=3), "trainees": ["ann"]})
    services.certification.open_campaign(system, created.id)
    with serve(tmp_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(f"{url}/certification")
        log_in(page, "ann", "ann-password")
        page.get_by_role("button", name="Start attempt 1").click()
        page.get_by_text("scenario 1 of 1").wait_for(timeout=30_000)
        assert page.get_by_role("link", name="Practice chat").count() == 0  # navigation locked during the attempt
        box = page.locator('[data-testid="stChatInputTextArea"]')
        messages = page.locator('[data-testid="stChatMessage"]')
        for n, line in enumerate(agent_lines("hostile"), start=1):
            box.fill(line)
            box.press("Enter")
            page.wait_for_function(f"document.querySelectorAll('[data-testid=stChatMessage]').length >= {2 * n + 1}",
                                   timeout=30_000)
            page.wait_for_timeout(1500)  # let the rerun after the reply finish
            if page.get_by_text("The customer has ended this conversation").count():
                break
        assert messages.count() >= 3
        page.get_by_role("button", name="Finish the attempt").click()
        page.get_by_role("button", name="Yes, finish and grade it").click()  # a confirming second click
        page.get_by_text("Passed").first.wait_for(timeout=60_000)
        with page.expect_download(timeout=30_000) as download:
            page.get_by_role("button", name="Download your certificate (PDF)").click()
        pdf = Path(download.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF") and download.value.suggested_filename.startswith("certificate-CERT-")
        code = page.locator("code").filter(has_text="CERT-").first.inner_text()
        page.screenshot(path=str(tmp_path / "result.png"), full_page=True)
        page.goto(f"{url}/verify?code={code}")  # public: no login needed
        page.get_by_text("Valid.").wait_for(timeout=30_000)
        browser.close()
    assert db_cli("verify-certificate", code, "--database-url", url_db).returncode == 0
    assert db_cli("verify-audit", "--database-url", url_db).returncode == 0
    run_sql(url_db, "update grades set overall = overall + 20")
    caught = db_cli("verify-audit", "--database-url", url_db)
    assert caught.returncode == 1 and "grade 1 was changed outside the app" in caught.stderr


def test_two_trainees_in_two_browsers_never_see_each_others_chat(tmp_path: Path) -> None:
    from playwright.sync_api import Page, sync_playwright

    from services import Actor, build_services
    from settings import Settings

    services = build_services(Settings(data_dir=tmp_path / "data"))
    for name in ("ann", "bob"):
        services.auth.create_user(Actor.system(), username=name, role="trainee", password=f"{name}-password")
    secrets = {"ann": "My order number is ANN-SECRET-1111.", "bob": "My order number is BOB-SECRET-2222."}

    def log_in_and_chat(page: Page, name: str) -> str:
        page.goto(url)
        log_in(page, name, f"{name}-password")
        page.get_by_role("button", name="Start new chat").click()
        page.locator('[data-testid="stChatMessage"]').first.wait_for(timeout=30_000)
        box = page.locator('[data-testid="stChatInputTextArea"]')
        box.fill(secrets[name])
        box.press("Enter")
        page.wait_for_function("document.querySelectorAll('[data-testid=stChatMessage]').length >= 3",
                               timeout=30_000)
        return page.url.split("session=")[1]

    with serve(tmp_path) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ann, bob = browser.new_context().new_page(), browser.new_context().new_page()  # separate cookie jars
        ann_chat = log_in_and_chat(ann, "ann")
        bob_chat = log_in_and_chat(bob, "bob")
        ann.reload()  # after bob's chat exists, ann (still logged in) reopens her own chat from her link
        ann.get_by_text("Logged in as ann (trainee)").wait_for(timeout=30_000)
        ann.wait_for_function("document.querySelectorAll('[data-testid=stChatMessage]').length >= 3", timeout=30_000)
        assert "ANN-SECRET" in ann.content() and "BOB-SECRET" not in ann.content()
        assert "BOB-SECRET" in bob.content() and "ANN-SECRET" not in bob.content()
        ann.goto(f"{url}/chat?session={bob_chat}")  # ann tries bob's chat id in the address
        log_in(ann, "ann", "ann-password")
        ann.get_by_text(f"No chat with id {bob_chat}").wait_for(timeout=30_000)
        assert "BOB-SECRET" not in ann.content()
        assert ann_chat != bob_chat
        browser.close()


def test_twenty_browser_sessions_at_once(tmp_path: Path) -> None:
    """Twenty logged-in browser sessions type into the real Streamlit server round by round: every message is
    stored once and in order, and no page shows a database error. (``make bench`` reports the timings.)"""
    from sqlalchemy import create_engine, text

    from bench.browser_load import run_browser_load

    rounds = 3
    load = run_browser_load(tmp_path, sessions=20, rounds=rounds)
    assert len(load.waits) == 20 * rounds and load.page_errors == []
    engine = create_engine(f"sqlite:///{load.database}")
    with engine.connect() as conn:
        sessions = conn.execute(text("select id, trainee from practice_sessions order by id")).all()
        assert len(sessions) == 20
        for session_id, trainee in sessions:
            agent = conn.execute(text("select content from messages where session_id = :s and role = 'agent' "
                                      "order by seq"), {"s": session_id}).scalars().all()
            assert [a.split(":")[0] for a in agent] == [f"{trainee} message {n}" for n in range(1, rounds + 1)]
            seqs = conn.execute(text("select seq from messages where session_id = :s order by seq"),
                                {"s": session_id}).scalars().all()
            assert seqs == list(range(1, 2 * rounds + 2))
    engine.dispose()
