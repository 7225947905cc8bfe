"""Notices a trainee should not miss: new trainer comments on their chats."""

from __future__ import annotations

import streamlit as st

from services import Actor, PracticeError
from ui.context import app_services, plain


def new_comments(actor: Actor, *, key: str, opening: int | None = None) -> None:
    """One line per chat with trainer comments the trainee has not seen, each opening its report.

    Opening the report is what marks them seen (``mark_comments_seen`` on the report page), never this read;
    ``opening`` is the chat whose report is on its way to the screen.
    """
    if actor.role != "trainee":
        return
    try:
        items = app_services().review.new_comments(actor)
    except PracticeError:  # a busy database costs the notice, never the page
        return
    for item in items:
        if item.session_id == opening:
            continue
        st.info(plain(item.notice), icon=":material/comment:")
        if st.button("Open the report", key=f"{key}-comments-{item.session_id}"):
            st.switch_page("pages/report.py", query_params={"session": str(item.session_id)})


def signal_layer_notice() -> None:
    """Say so on every page when the sentence encoder is missing and the regular-expression detectors run instead."""
    layer = app_services().grading.signal_layer()
    if not layer.semantic:
        st.warning(layer.message, icon=":material/warning:")
