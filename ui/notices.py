"""Notices no one should miss, in the sidebar of every page: a trainee's new trainer comments and decided disputes,
and the disputes waiting for a trainer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import streamlit as st

from services import Actor, PracticeError
from services.permissions import Permission, may
from ui.context import app_services, plain


def sidebar_notices(actor: Actor, *, opening: int | None = None) -> None:
    """Every notice for ``actor``; ``opening`` is the chat whose report is on its way to the screen (it says its own
    news, and opening it marks them seen)."""
    new_comments(actor, key="sidebar", opening=opening)
    decided_disputes(actor, key="sidebar", opening=opening)
    open_disputes(actor, key="sidebar")


class ChatNews(Protocol):
    """Something new on one of the trainee's chats, said in one sentence."""

    @property
    def session_id(self) -> int: ...

    @property
    def notice(self) -> str: ...


def _per_chat(read: Callable[[], Sequence[ChatNews]], *, key: str, icon: str, opening: int | None) -> None:
    """One line per chat, each with a button that opens its report (``opening``: the report on its way, left out)."""
    try:
        items = read()
    except PracticeError:  # a busy database costs the notice, never the page
        return
    for item in items:
        if item.session_id == opening:
            continue
        st.info(plain(item.notice), icon=icon)
        if st.button("Open the report", key=f"{key}-{item.session_id}"):
            st.switch_page("pages/report.py", query_params={"session": str(item.session_id)})


def new_comments(actor: Actor, *, key: str, opening: int | None = None) -> None:
    """One line per chat with trainer comments the trainee has not seen, each opening its report.

    Opening the report is what marks them seen (``mark_comments_seen`` on the report page), never this read;
    ``opening`` is the chat whose report is on its way to the screen.
    """
    if actor.role == "trainee":
        _per_chat(lambda: app_services().review.new_comments(actor), key=f"{key}-comments",
                  icon=":material/comment:", opening=opening)


def decided_disputes(actor: Actor, *, key: str, opening: int | None = None) -> None:
    """One line per chat with dispute decisions the trainee has not seen, each opening its report (which marks
    them seen: ``mark_decisions_seen`` on the report page)."""
    if actor.role == "trainee":
        _per_chat(lambda: app_services().disputes.new_decisions(actor), key=f"{key}-disputes",
                  icon=":material/gavel:", opening=opening)


def open_disputes(actor: Actor, *, key: str) -> None:
    """How many trainees' disputes wait for a decision, for those who decide them, with the way to the Review
    page's Disputes tab."""
    if not may(actor, Permission.DECIDE_DISPUTES):
        return
    try:
        count = app_services().disputes.open_count(actor)
    except PracticeError:
        return
    if not count:
        return
    st.info(f"{count} open {'dispute waits' if count == 1 else 'disputes wait'} for a trainer",
            icon=":material/gavel:")
    if st.button("Decide disputes", key=f"{key}-open-disputes"):
        st.switch_page("pages/review.py", query_params={"show": "Disputes"})


def signal_layer_notice() -> None:
    """Say so on every page when the sentence encoder is missing and the regular-expression detectors run instead."""
    layer = app_services().grading.signal_layer()
    if not layer.semantic:
        st.warning(layer.message, icon=":material/warning:")
