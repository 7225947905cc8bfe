"""What every page needs: the service (created once per process) and one typed UI-state object."""

from __future__ import annotations

import re
from dataclasses import dataclass

import streamlit as st

from services import PracticeService, build_practice_service
from settings import get_settings

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


@st.cache_resource(show_spinner=False)
def practice_service() -> PracticeService:
    return build_practice_service(get_settings())


@dataclass
class ChatUI:
    """The chat page's browser-session state (the only object kept in ``st.session_state``)."""

    session_id: int | None = None
    trainee: str = ""
    notice: str | None = None


def chat_ui() -> ChatUI:
    if "chat_ui" not in st.session_state:
        st.session_state["chat_ui"] = ChatUI()
    ui: ChatUI = st.session_state["chat_ui"]
    return ui


def plain(text: str) -> str:
    """Escape Markdown so trainee and model text is shown exactly as typed, never interpreted."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return escaped.replace("\n", "  \n")
