"""What every page needs: the services (created once per process) and one typed UI-state object."""

from __future__ import annotations

import re
from dataclasses import dataclass

import streamlit as st

from services import Actor, Services, build_services
from settings import get_settings

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


@st.cache_resource(show_spinner=False)
def app_services() -> Services:
    return build_services(get_settings())


@dataclass
class ChatUI:
    """The browser session's state (the only object kept in ``st.session_state``)."""

    session_id: int | None = None
    user_id: int | None = None
    notice: str | None = None


def chat_ui() -> ChatUI:
    if "chat_ui" not in st.session_state:
        st.session_state["chat_ui"] = ChatUI()
    ui: ChatUI = st.session_state["chat_ui"]
    return ui


def current_actor() -> Actor | None:
    """The logged-in user, re-read from the database on every run (a deleted account is logged out)."""
    ui = chat_ui()
    return app_services().auth.actor(ui.user_id) if ui.user_id is not None else None


def require_actor() -> Actor:
    actor = current_actor()
    if actor is None:
        st.warning("Please log in.")
        st.stop()
    return actor


def plain(text: str) -> str:
    """Escape Markdown so trainee and model text is shown exactly as typed, never interpreted."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return escaped.replace("\n", "  \n")


def session_param() -> int | None:
    """The ``?session=ID`` in the address, if it is a number."""
    raw = st.query_params.get("session")
    return int(raw) if raw is not None and raw.isdigit() else None
