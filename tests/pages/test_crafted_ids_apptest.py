"""Crafted ids in the address (``/report?session=²``, an id past the database's integer range, Markdown) answer
"No chat with id …" like any id that names nothing: never a traceback, never a query the database refuses."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

#: "²" and "٣" pass str.isdigit() (int("²") raises, int("٣") is 3); PostgreSQL's ids are 32-bit ``integer``
#: columns, so 2147483648 already overflows there, and the longer ones overflow SQLite's 64 bits too.
CRAFTED = ("²", "٣", "2147483648", "9223372036854775808", "99999999999999999999999", "-1", "1e3", "0x10",
           "![x](http://example.invalid/p.png)")


@pytest.fixture
def people(database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Trainee ann on a fresh database (SQLite, and PostgreSQL where it runs), with one graded chat."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    from services import Actor, build_services
    from settings import Settings, get_settings
    from ui.context import app_services

    get_settings.cache_clear()
    app_services.clear()
    services = build_services(Settings())
    ann = services.auth.create_user(Actor.system(), username="ann", role="trainee", password="ann-secret")
    view = services.practice.start(ann, persona_slug="hostile", difficulty="normal", seed=1).finish()
    assert view is not None
    services.practice.send(ann, view.id, "I am sorry, let me look into it.").finish()
    services.practice.end_and_grade(ann, view.id)
    return {"ann": ann, "chat": view.id}


def _open(page: str, param: str, value: str, user_id: int) -> AppTest:
    from ui.context import ChatUI

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    app.session_state["chat_ui"] = ChatUI(user_id=user_id)
    app.query_params[param] = value
    app.switch_page(page).run()
    return app


def _said(app: AppTest) -> list[str]:
    """The page's error and warning boxes as a reader sees them (escapes and invisible zero-width spaces removed)."""
    return [str(box.value).replace("\\", "").replace("\u200b", "") for box in [*app.error, *app.warning]]


@pytest.mark.parametrize("value", CRAFTED)
def test_a_crafted_session_id_is_no_chat(people: dict[str, Any], value: str) -> None:
    app = _open("pages/report.py", "session", value, people["ann"].id)
    assert not app.exception, app.exception
    assert f"No chat with id {value}." in _said(app)


@pytest.mark.parametrize("value", CRAFTED)
def test_a_crafted_rush_id_is_no_rush_hour(people: dict[str, Any], value: str) -> None:
    app = _open("pages/rush.py", "rush", value, people["ann"].id)
    assert not app.exception, app.exception
    assert f"No rush hour with id {value}." in _said(app)


def test_a_crafted_session_id_on_the_chat_page_is_no_chat(people: dict[str, Any]) -> None:
    app = _open("pages/chat.py", "session", "²", people["ann"].id)
    assert not app.exception, app.exception
    assert "No chat with id ²." in _said(app)
    assert [b for b in app.button if b.label == "Start new chat"]  # and the picker, to start one


def test_a_real_id_still_opens_its_report(people: dict[str, Any]) -> None:
    app = _open("pages/report.py", "session", str(people["chat"]), people["ann"].id)
    assert not app.exception, app.exception
    assert not _said(app)
    assert [t.value for t in app.title] == ["Your report"]
