"""An anonymous attacker against the production server on a dual-stack address (``--server.address ::``, as a server
reachable over IPv4 and IPv6 is started), SQLite, loopback only; ``CLIENT_IP_HEADER`` is set, and a browser that
sends no such header is counted by its connection's address, which Streamlit reports IPv4-mapped.

What it tries: locking every IPv4 client out by spraying from one address; stalling the server with Streamlit's
clear-cache message; logging a user out from another site; fetching an export after its owner logged out; reading
Streamlit's metrics, framing the app, and learning the versions and path from the session-start message.
"""

from __future__ import annotations

import http.server
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.browser.helpers import free_port, log_in, serve_process, settle
from tests.conftest import room_in_window

SECRET = secrets.token_urlsafe(32)
WAIT = 60_000


@dataclass
class Server:
    port: int
    database_url: str

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("network")
    database_url = f"sqlite:///{tmp / 'data' / 'practice.db'}"
    env = {"ENVIRONMENT": "production", "SESSION_SECRET": SECRET, "DATABASE_URL": database_url,
           "PUBLIC_URL": "http://127.0.0.1", "LOGIN_ACCOUNTS_PER_HOUR": "3",
           "CLIENT_IP_HEADER": "X-Forwarded-For"}
    port = free_port()
    with serve_process(tmp, env, args=("--server.address", "::"), port=port) as (_, proc):
        threading.Thread(target=lambda: [None for _ in proc.stdout or ()], daemon=True).start()  # drain the log
        from services import Actor, build_services
        from settings import Settings

        services = build_services(Settings(database_url=database_url))
        for name, role in (("ann", "trainee"), ("tina", "trainer")):
            services.auth.create_user(Actor.system(), username=name, role=role, password=f"{name}-password-1")
        yield Server(port, database_url)


def _page(browser: Any, forwarded_for: str | None = None) -> Any:
    """A new browser; ``forwarded_for``: as if behind the balancer, which sets ``X-Forwarded-For``."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return browser.new_context(viewport={"width": 1200, "height": 900}, extra_http_headers=headers).new_page()


def _status(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}


def test_one_ipv4_address_spraying_does_not_lock_out_the_others(server: Server, browser: Any) -> None:
    """Streamlit reports an IPv4 client of a dual-stack server as ``::ffff:a.b.c.d``, which was keyed as ``::/64``:
    one address's spray locked password login for every IPv4 user. Two clients behind the balancer (their header
    in the mapped form), and one straight from its connection (a browser here always connects from 127.0.0.1,
    whatever 127.x address it opens)."""
    room_in_window(90, hour=True)
    attacker = _page(browser, "::ffff:198.51.100.7")
    attacker.goto(server.url())
    for i in range(3):  # LOGIN_ACCOUNTS_PER_HOUR=3
        log_in(attacker, f"madeup{i}", "Spring2026!")
        attacker.get_by_text("Wrong username or password").wait_for(timeout=WAIT)
        attacker.reload()
    log_in(attacker, "madeup9", "Spring2026!")
    attacker.get_by_text("Too many failed logins from your address").wait_for(timeout=WAIT)
    for address in ("::ffff:198.51.100.8", None):
        ann = _page(browser, address)
        ann.goto(server.url())
        log_in(ann, "ann", "ann-password-1")
        ann.get_by_text("Logged in as ann (trainee)").wait_for(timeout=WAIT)
        ann.context.close()
    with create_engine(server.database_url).connect() as conn:
        clients = [row[0] for row in conn.execute(text("select payload from audit_log where subject_type = 'login'"))]
    assert all(any(f'"client": "{a}"' in c for c in clients) for a in ("198.51.100.7", "198.51.100.8", "127.0.0.1"))
    assert not any("::" in c for c in clients)


def _flood(port: int, stop: threading.Event, sent: list[int]) -> None:
    """One anonymous websocket sending Streamlit's clear-cache message and a rerun, 5 pairs a second, until
    ``stop`` (at most 40 s)."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from websockets.sync.client import connect

    clear, rerun = BackMsg(), BackMsg()
    clear.clear_cache = True
    rerun.rerun_script.query_string = ""
    deadline = time.monotonic() + 40
    with connect(f"ws://127.0.0.4:{port}/_stcore/stream", subprotocols=["streamlit"]) as ws:  # type: ignore[list-item]
        while not stop.is_set() and time.monotonic() < deadline:
            ws.send(clear.SerializeToString())
            ws.send(rerun.SerializeToString())
            sent.append(1)
            stop.wait(0.2)


def test_a_clear_cache_flood_leaves_the_login_page_fast(server: Server, browser: Any) -> None:
    """Each clear-cache message rebuilt the process's services (migrations checked, personas loaded) at the next
    run; two a second kept the login form away for 45 s."""
    stop, sent = threading.Event(), list[int]()
    flood = threading.Thread(target=_flood, args=(server.port, stop, sent), daemon=True)
    flood.start()
    try:
        while len(sent) < 10:  # the flood is on
            assert flood.is_alive(), "the flood's websocket closed"
            time.sleep(0.1)
        visitor = _page(browser)
        visitor.goto(server.url("127.0.0.5"))
        visitor.get_by_role("button", name="Log in", exact=True).wait_for(timeout=15_000)
        log_in(visitor, "ann", "ann-password-1")
        visitor.get_by_text("Logged in as ann (trainee)").wait_for(timeout=15_000)
    finally:
        stop.set()
        flood.join(10)


class _Attacker(http.server.BaseHTTPRequestHandler):
    target = ""

    def do_GET(self) -> None:
        body = f'<a id="prize" href="{self.target}/auth/logout">You won a prize</a>'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


def test_a_link_on_another_site_does_not_log_the_user_out(server: Server, browser: Any) -> None:
    _Attacker.target = server.url()
    evil = http.server.ThreadingHTTPServer(("127.0.0.9", 0), _Attacker)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        page = _page(browser)
        page.goto(server.url())
        log_in(page, "ann", "ann-password-1")
        page.get_by_text("Logged in as ann (trainee)").wait_for(timeout=WAIT)
        page.wait_for_function("document.cookie !== undefined")
        cookies = page.context.cookies()
        deadline = time.monotonic() + 30  # the page hands its one-time code over for the login cookie
        while not any(c["name"] == "practice_login" for c in cookies) and time.monotonic() < deadline:
            page.wait_for_timeout(200)
            cookies = page.context.cookies()
        assert any(c["name"] == "practice_login" for c in cookies)
        page.goto(f"http://127.0.0.9:{evil.server_address[1]}/")
        with page.expect_response(lambda r: "/auth/logout" in r.url) as answer:
            page.click("#prize")
        assert answer.value.status == 403
        page.goto(server.url())
        page.get_by_text("Logged in as ann (trainee)").wait_for(timeout=WAIT)  # still logged in
    finally:
        evil.shutdown()


def test_an_export_cannot_be_fetched_after_its_owner_logs_out(server: Server, browser: Any) -> None:
    page = _page(browser)
    page.goto(server.url())
    log_in(page, "tina", "tina-password-1")
    page.get_by_text("Logged in as tina (trainer)").wait_for(timeout=WAIT)
    page.get_by_role("link", name="Scenarios").click()
    page.get_by_role("tab", name="YAML").click()
    button = page.get_by_role("button", name="Export this text (YAML)")
    button.wait_for(timeout=WAIT)
    settle(page)
    with page.expect_download() as download:
        button.click()
    address = download.value.url
    assert _status(address)[0] == 200  # anyone with the address, while she is logged in
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Log in", exact=True).wait_for(timeout=WAIT)
    assert _status(address)[0] == 404


def test_no_metrics_no_framing_no_versions(server: Server) -> None:
    assert _status(f"{server.url()}/_stcore/metrics")[0] == 404
    for path in ("/", "/auth/logout", "/_stcore/health"):
        _, headers = _status(server.url() + path)
        assert headers.get("x-frame-options") == "DENY", path
        assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), path
        assert "img-src 'self' data: blob:" in headers["content-security-policy"], path

    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    rerun = BackMsg()
    rerun.rerun_script.query_string = ""
    with connect(f"ws://127.0.0.1:{server.port}/_stcore/stream", subprotocols=["streamlit"]) as ws:  # type: ignore[list-item]
        ws.send(rerun.SerializeToString())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            msg = ForwardMsg()
            msg.ParseFromString(ws.recv(timeout=30))  # type: ignore[arg-type]
            if msg.WhichOneof("type") == "new_session":
                break
        else:
            pytest.fail("no session-start message")
    info = msg.new_session.initialize.environment_info
    assert (info.streamlit_version, info.python_version, info.server_os) == ("", "", "")
    assert msg.new_session.main_script_path == "app.py"
    assert str(Path.cwd()) not in msg.SerializeToString().decode(errors="replace")


def test_a_stranger_locking_an_account_does_not_lock_out_its_owners_browser(server: Server, browser: Any) -> None:
    """Five wrong passwords lock any real account (and the refusal reads exactly like an unknown name's). The
    browser ann logged in with before keeps its known-device cookie after logging out, and gets in; a new browser
    with her right password does not, and is told how to get past it."""
    room_in_window(60)
    ann = _page(browser, "192.0.2.31")
    ann.goto(server.url())
    log_in(ann, "ann", "ann-password-1")
    ann.get_by_text("Logged in as ann (trainee)").wait_for(timeout=WAIT)
    deadline = time.monotonic() + 30  # the page hands its one-time code over for the cookies
    while not any(c["name"] == "practice_device" for c in ann.context.cookies()) and time.monotonic() < deadline:
        ann.wait_for_timeout(200)
    ann.get_by_role("button", name="Log out").click()
    ann.get_by_role("button", name="Log in", exact=True).wait_for(timeout=WAIT)
    stranger = _page(browser, "203.0.113.45")
    stranger.goto(server.url())
    said = []
    for name in ("ann",) * 6 + ("nosuchuser",):
        log_in(stranger, name, "Guess-2026")
        said.append(stranger.locator('[data-testid="stAlertContainer"]').filter(
            has_text="Wrong username or password").first.inner_text(timeout=WAIT))
        stranger.reload()
    assert len(set(said)) == 1 and "an admin can unlock your account" in said[0]
    with create_engine(server.database_url).connect() as conn:
        assert conn.execute(text("select locked_until from users where username = 'ann'")).scalar() is not None
    other = _page(browser, "192.0.2.32")
    other.goto(server.url())
    log_in(other, "ann", "ann-password-1")
    other.get_by_text("Wrong username or password").wait_for(timeout=WAIT)
    ann.reload()
    log_in(ann, "ann", "ann-password-1")
    ann.get_by_text("Logged in as ann (trainee)").wait_for(timeout=WAIT)
