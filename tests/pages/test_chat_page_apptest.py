"""The practice chat page through Streamlit's AppTest (issue 11, "The chat page"): refusals say why, lose no text
and leave no empty bubble; the sidebar names the customer of the chat on screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app, logged in as a trainee 'ann' on a fresh database."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    from services import Actor, build_services
    from settings import Settings, get_settings
    from ui.context import ChatUI, app_services

    get_settings.cache_clear()
    app_services.clear()
    ann = build_services(Settings()).auth.create_user(Actor.system(), username="ann", role="trainee",
                                                      password="ann-secret")
    test = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    test.session_state["chat_ui"] = ChatUI(user_id=ann.id)
    return test


def start(app: AppTest) -> AppTest:
    app.run()
    [button] = [b for b in app.button if b.label == "Start new chat"]
    return button.click().run()


def stored_messages() -> int:
    from ui.context import app_services

    services = app_services()
    with services.practice.sessions() as db:
        from sqlalchemy import func, select

        from db.models import Message

        return db.scalar(select(func.count()).select_from(Message)) or 0


def errors(app: AppTest) -> list[str]:
    return [e.value for e in app.error]


def test_a_message_over_the_limit_is_refused_not_cut(app: AppTest) -> None:
    start(app)
    pasted = "I hear you. " * 416 + "abcdefgh"
    assert len(pasted) == 5000
    app.chat_input[0].set_value(pasted).run()
    assert not app.exception
    assert any("5,000 characters; the limit is 4,000" in e for e in errors(app))
    assert len(app.chat_message) == 1 and stored_messages() == 1  # nothing sent, nothing cut to 4,000 and sent
    box = app.chat_input[0].proto
    assert box.set_value and box.value == pasted  # given back into the box


def test_a_blank_message_leaves_no_empty_bubble(app: AppTest) -> None:
    start(app)
    app.chat_input[0].set_value("  \n\t ").run()
    assert not app.exception
    assert any("Type a message before sending" in e for e in errors(app))
    assert len(app.chat_message) == 1
    assert all(m.markdown[0].value.strip() for m in app.chat_message if m.markdown)


def test_a_stale_tab_on_an_ended_chat_is_told_and_keeps_the_text(app: AppTest) -> None:
    from ui.context import app_services

    start(app)
    services = app_services()
    ann = services.auth.actor(1)
    assert ann is not None
    services.practice.end(ann, 1)  # ended in another tab; this one still shows the chat box
    app.chat_input[0].set_value("Let me look into that for you.").run()
    assert not app.exception
    assert any("has ended" in e and "your message was not sent" in e for e in errors(app))
    shown_back = [c.value for c in app.code]
    assert "Let me look into that for you." in shown_back
    assert stored_messages() == 1


def test_the_sidebar_names_the_customer_of_the_open_chat(app: AppTest) -> None:
    app.run()
    [card] = [b for b in app.button if b.key == "start-discount-demander"]
    card.click().run()
    assert not app.exception
    picked = app.selectbox[0].value
    assert picked is not None and picked.slug == "discount-demander"  # "New chat" starts from this chat's customer
    sidebar = " ".join(m.value for m in app.sidebar.markdown)
    assert "Patricia Hale" in sidebar and "Derek Malone" not in sidebar
