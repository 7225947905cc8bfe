"""Beyond one machine, on this one: ``deploy.cluster.up`` (what ``make cluster`` runs) starts three replicas at
once on a fresh PostgreSQL database behind a real HAProxy, and headless Chromium drives trainees through it.

The tests run in file order on one cluster: trainees on several replicas at once, a persona published on one
replica and seen on the others, then the replica serving a trainee killed in the middle of a chat.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from deploy.cluster import PUBLISH_DELAY_SECONDS, Cluster, Layout, down, haproxy_path, healthy, up
from tests.browser.helpers import (
    finish,
    free_ports,
    log_in,
    record_websockets,
    redrawn_after_reconnect,
    replica_of,
    send,
    settle,
)
from tests.conftest import PG_ADMIN_URL, _postgres_reachable

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("CLUSTER_SHOTS")
PASSWORD = "cluster-password"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    required = os.environ.get("REQUIRE_POSTGRES") == "1"
    needs = ((not _postgres_reachable(), "PostgreSQL"), (haproxy_path() is None, "HAProxy (make haproxy)"))
    for missing, what in needs:
        if missing:
            (pytest.fail if required else pytest.skip)(f"{what} is needed for the cluster test")
    first = free_ports(4)
    layout = Layout(replicas=3, port=first, first_port=first + 1, database=f"practice_cluster_t{os.getpid()}",
                    server_url=PG_ADMIN_URL.rsplit("/", 1)[0], state_dir=tmp_path_factory.mktemp("cluster"))
    started = up(layout, fresh=True)  # all three at once on an empty database: they race on the migrations
    try:
        yield started
    finally:
        down(layout.state_dir, drop=True)


def services_of(cluster: Cluster, tmp: Path) -> Any:
    from services import build_services
    from settings import Settings

    return build_services(Settings(database_url=cluster.layout.database_url, data_dir=tmp))


def stored(cluster: Cluster, session_id: int) -> list[tuple[int, str, str]]:
    engine = create_engine(cluster.layout.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT seq, role, content FROM messages WHERE session_id = :s ORDER BY seq"),
                                {"s": session_id}).all()
    finally:
        engine.dispose()
    return [(r[0], r[1], r[2]) for r in rows]


def session_of(page: Any) -> int:
    found = re.search(r"[?&]session=(\d+)", page.url)
    assert found, page.url
    return int(found.group(1))


def test_all_replicas_start_at_once_on_a_fresh_database(cluster: Cluster) -> None:
    from alembic.script import ScriptDirectory

    from db.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config(cluster.layout.database_url)).get_current_head()
    engine = create_engine(cluster.layout.database_url)
    with engine.connect() as conn:
        versions = [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
    engine.dispose()
    assert versions == [head]
    assert all(healthy(r.url) for r in cluster.replicas) and healthy(cluster.url)
    for r in cluster.replicas:
        log = Path(r.log).read_text()
        assert "Traceback" not in log and "URL: http://127.0.0.1" in log, log


def test_trainees_on_several_replicas_lose_and_duplicate_nothing(cluster: Cluster, browser: Any,
                                                                  tmp_path: Path) -> None:
    from services import Actor

    services = services_of(cluster, tmp_path)
    names = ["tia", "tom", "tess"]
    for name in names:
        services.auth.create_user(Actor.system(), username=name, role="trainee", password=PASSWORD)
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in names]
    pages = [c.new_page() for c in contexts]
    for page, name in zip(pages, names, strict=True):
        page.goto(cluster.url)
        log_in(page, name, PASSWORD)
        page.get_by_role("button", name="Start new chat").click()
        page.locator('[data-testid="stChatMessage"]').first.wait_for(timeout=90_000)
        settle(page)
    replicas = {replica_of(c) for c in contexts}
    assert len(replicas) >= 2, replicas  # the balancer spread them
    said = {name: [f"{name} turn {n}: I'm sorry about this, could you give me the order number?" for n in (1, 2, 3)]
            for name in names}
    for n in range(3):  # every trainee presses Enter, then every page waits for its reply: the replicas overlap
        for page, name in zip(pages, names, strict=True):
            box = page.locator('[data-testid="stChatInputTextArea"]')
            box.fill(said[name][n])
            box.press("Enter")
        for page in pages:
            page.wait_for_function("document.querySelectorAll('[data-testid=stChatMessage]').length >= "
                                   f"{3 + 2 * n}", timeout=90_000)
            settle(page)
    for page, name in zip(pages, names, strict=True):
        messages = stored(cluster, session_of(page))
        assert [m[0] for m in messages] == list(range(1, 8))  # every position once, none skipped
        assert [m[1] for m in messages] == ["customer", "agent"] * 3 + ["customer"]
        assert [m[2] for m in messages if m[1] == "agent"] == said[name]
        assert page.locator('[data-testid="stChatMessage"]').count() == 7
    for c in contexts:
        c.close()


def test_a_persona_published_on_one_replica_is_seen_on_the_others(cluster: Cluster, browser: Any,
                                                                  tmp_path: Path) -> None:
    from services import Actor

    services = services_of(cluster, tmp_path)
    services.auth.create_user(Actor.system(), username="ada", role="admin", password=PASSWORD)
    services.auth.create_user(Actor.system(), username="tara", role="trainee", password=PASSWORD)
    one, *others = cluster.replicas
    watchers = []
    for r in others:  # trainees straight on the other replicas: each has read the catalog before the publish
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.goto(r.url)
        log_in(page, "tara", PASSWORD)
        page.get_by_role("button", name="Start new chat").wait_for(timeout=90_000)
        watchers.append(page)
    admin = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    admin.goto(one.url)
    log_in(admin, "ada", PASSWORD)
    admin.get_by_role("link", name="Scenarios").click()
    admin.get_by_role("tab", name="YAML").click()
    area = admin.get_by_label("Persona YAML")
    admin.wait_for_function("[...document.querySelectorAll('textarea')].some(t => t.value.startsWith('slug:'))",
                            timeout=60_000)
    settle(admin)
    before = area.input_value()
    old_title = re.search(r"^title: *(.+)$", before, re.M)
    assert old_title
    new_title = "Published on one replica, the missed-delivery shouter"
    area.fill(re.sub(r"^title: *.+$", f"title: {new_title}", before, count=1, flags=re.M))
    admin.get_by_role("button", name="Check and save draft").click()
    settle(admin)
    # the saved draft is checked before the button is enabled: under a loaded machine that takes a while
    admin.get_by_role("button", name=re.compile(r"^Publish as version 2")).click(timeout=120_000)
    admin.get_by_text("Published ").first.wait_for(timeout=60_000)
    published = time.monotonic()
    for page in watchers:
        assert page.get_by_text(new_title).count() == 0
    time.sleep(max(0.0, PUBLISH_DELAY_SECONDS - (time.monotonic() - published)))
    for page in watchers:  # past the documented delay: one reload each, no retrying
        page.reload()
        page.get_by_role("button", name="Start new chat").wait_for(timeout=90_000)
        settle(page)
        assert page.get_by_text(new_title).count() >= 1, page.locator("body").inner_text()[:2000]
        page.context.close()
    admin.context.close()


def test_the_replica_serving_a_trainee_killed_mid_chat(cluster: Cluster, browser: Any, tmp_path: Path) -> None:
    from services import Actor

    services = services_of(cluster, tmp_path)
    services.auth.create_user(Actor.system(), username="kim", role="trainee", password=PASSWORD)
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    received = record_websockets(page)
    page.goto(cluster.url)
    log_in(page, "kim", PASSWORD)
    page.get_by_role("button", name="Start new chat").click()
    page.locator('[data-testid="stChatMessage"]').first.wait_for(timeout=90_000)
    send(page, "I'm so sorry, that's two missed deliveries. Could you give me your order number?", 3, 90_000)
    send(page, "Thank you. I've booked a priority slot for Saturday morning, 8 to 10.", 5, 90_000)
    session_id = session_of(page)
    serving = cluster.replica(replica_of(context))
    os.kill(serving.pid, signal.SIGKILL)
    # The websocket drops; the browser reconnects through the balancer, which sends it to a live replica.
    deadline = time.monotonic() + 60
    while replica_of(context) == serving.name and time.monotonic() < deadline:
        time.sleep(0.2)
    assert replica_of(context) != serving.name
    # Before the trainee touches anything, the new replica draws the chat again (from the database).
    assert redrawn_after_reconnect(page, received), [sum(r) for r in received]
    settle(page)
    assert page.get_by_text("Logged in as kim (").count() == 1  # the login cookie, honoured by the new replica
    committed = stored(cluster, session_id)
    assert len(committed) == 5
    assert page.locator('[data-testid="stChatMessage"]').count() == 5
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "cluster-after-kill.png"), full_page=True)
    send(page, "I'll call you back by 5pm today to confirm the driver is on the way. Is there anything else?", 7,
         90_000)
    finish(page)
    page.get_by_role("heading", name="Your report").wait_for(timeout=90_000)
    page.get_by_text("Closing and follow-up").first.wait_for(timeout=60_000)
    after = stored(cluster, session_id)
    assert [m[0] for m in after] == list(range(1, len(after) + 1)) and after[:5] == committed
    assert [m[2] for m in after if m[1] == "agent"][-1].startswith("I'll call you back by 5pm")
    engine = create_engine(cluster.layout.database_url)
    with engine.connect() as conn:
        grades = conn.execute(text("SELECT count(*) FROM grades WHERE session_id = :s"), {"s": session_id}).scalar()
    engine.dispose()
    assert grades == 1
    assert not healthy(serving.url) and healthy(cluster.url)
    context.close()
