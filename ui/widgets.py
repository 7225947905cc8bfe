"""Rendering pieces shared by pages (no logic: values in, elements out)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import streamlit as st

from services import MessageView, TurnStream
from ui.context import plain

AVATARS = {"agent": ":material/support_agent:", "customer": ":material/person:"}


def stream_reply(turn: TurnStream) -> None:
    """The customer's reply as it streams, shown as text (never Markdown or HTML)."""
    def plain_chunks() -> Iterator[str]:
        for chunk in turn:
            yield plain(chunk)

    with st.chat_message("assistant", avatar=AVATARS["customer"]):
        st.write_stream(plain_chunks())


def transcript(messages: Iterable[MessageView], *, numbered: bool = False, marked: set[int] | None = None,
               comments: dict[int, list[tuple[str, str]]] | None = None) -> None:
    """The chat as the trainee saw it; ``marked`` turns (1-based positions) are flagged as cited, and trainers'
    ``comments`` appear under their turn."""
    for position, m in enumerate(messages, start=1):
        role = "user" if m.role == "agent" else "assistant"
        with st.chat_message(role, avatar=AVATARS[m.role]):
            if numbered:
                cited = " · cited in the report" if marked and position in marked else ""
                st.caption(f"Turn {position} · frustration after: {m.frustration:.1f}{cited}")
            st.markdown(plain(m.content))
            for who, text in (comments or {}).get(position, []):
                st.info(plain(f"{who}: {text}"), icon=":material/comment:")
