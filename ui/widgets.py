"""Rendering pieces shared by pages (no logic: values in, elements out)."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Iterator

import streamlit as st

from grading.report import EvidenceItem
from services import MessageView, TurnStream
from ui.context import plain

AVATARS = {"agent": ":material/support_agent:", "customer": ":material/person:"}
#: The two customers of a dispute, told apart at a glance.
SPEAKER_AVATARS = (":material/person:", ":material/person_4:")
#: Streamlit's own palette, so the bar matches the band's badge.
BAND_COLOURS = {"green": "#21c354", "orange": "#ffa421", "red": "#ff4b4b"}
#: Frustration bands as the meters name and colour them (upper limit, mood, colour).
BANDS = ((3.5, "fairly calm", "green"), (6.5, "annoyed", "orange"), (10.1, "very angry", "red"))


def mood(frustration: float) -> tuple[str, str]:
    """The band's name and colour for a frustration (0-10)."""
    return next((label, colour) for limit, label, colour in BANDS if frustration < limit)


def measured(value: float | None, percent: bool = False) -> str:
    """A kappa (three places: 0.597 must not read as 0.60 beside "not trusted") or a share, as the Calibration and
    Rubric pages show it; a dash when there was nothing to measure."""
    if value is None:
        return "—"
    return f"{value:.0%}" if percent else f"{value:.3f}"


def frustration_bar(frustration: float, mood: str, colour: str, who: str = "Customer") -> None:
    """The customer's frustration (0-10) as a bar coloured by its band (st.progress is always the theme's blue);
    ``who`` names the customer when there are two."""
    percent = max(0.0, min(100.0, frustration * 10))
    fill = BAND_COLOURS.get(colour, BAND_COLOURS["red"])
    who = " ".join(who.split())  # one line: a blank line in a name would end the HTML block, and Markdown resume
    label = html.escape(f"{who} frustration" if who == "Customer" else f"{who}'s frustration")
    st.markdown(
        f'<div style="font-size:0.875rem;margin-bottom:0.25rem">{label}: {frustration:.1f} / 10</div>'
        f'<div role="progressbar" aria-label="{label}" aria-valuemin="0" aria-valuemax="10" '
        f'aria-valuenow="{frustration:.1f}" aria-valuetext="{frustration:.1f} of 10, {mood}" '
        f'style="height:0.6rem;border-radius:0.3rem;background:rgba(128,128,128,0.2);overflow:hidden">'
        f'<div style="width:{percent:.0f}%;height:100%;background:{fill};border-radius:0.3rem"></div></div>',
        unsafe_allow_html=True,  # numbers, fixed words and an escaped persona name: no trainee or model text
    )


def pin_to_top(key: str) -> None:
    """Keep the container made with ``st.container(key=key)`` in view at the top of the page as it scrolls; on a
    narrow screen (columns stacked) only its first column stays, so it does not fill the screen."""
    background = "#0e1117" if st.context.theme.type == "dark" else "#ffffff"
    # Sticky on the container's layout wrapper: the container alone is its wrapper's only child, with no room to
    # stick in; the wrapper's parent is the whole page body.
    st.html(f'<style>[data-testid="stLayoutWrapper"]:has(> .st-key-{key}) {{position: sticky; top: 3.75rem; '
            f"z-index: 99; background: {background}; padding: 0.25rem 0 0.5rem; "
            "border-bottom: 1px solid rgba(128, 128, 128, 0.25); "
            # paint the strip above it too, under Streamlit's transparent header, so no message shows through
            f"box-shadow: 0 -3.75rem 0 0 {background};}}"
            f' @media (max-width: 640px) {{.st-key-{key} [data-testid="stColumn"]:not(:first-child) '
            "{display: none;}}</style>")


def stream_reply(turn: TurnStream) -> None:
    """The customer's reply as it streams, shown as text (never Markdown or HTML)."""
    def plain_chunks() -> Iterator[str]:
        # Up to the last space or line break only: a link pattern split between two chunks (``http:`` then
        # ``//…``) would otherwise escape plain() and be joined into a link again on the page.
        pending = ""
        for chunk in turn:
            pending += chunk
            cut = max(pending.rfind(" "), pending.rfind("\n")) + 1
            if cut:
                yield plain(pending[:cut])
                pending = pending[cut:]
        if pending:
            yield plain(pending)

    with st.chat_message("assistant", avatar=AVATARS["customer"]):
        st.write_stream(plain_chunks())


def transcript(messages: Iterable[MessageView], *, numbered: bool = False, marked: set[int] | None = None,
               comments: dict[int, list[tuple[str, str]]] | None = None,
               branch: Callable[[int], None] | None = None) -> None:
    """The chat as the trainee saw it; ``marked`` messages (1-based positions) are flagged as cited, and trainers'
    ``comments`` (keyed by position) appear under their message.  ``numbered`` labels the trainee's messages
    "Turn 1", "Turn 2", ... as the chat page counts them (the customer's replies are not turns). With ``branch``,
    each of the trainee's messages has a button that calls it with that turn's number."""
    agent_turn = 0
    messages = list(messages)
    speakers = list(dict.fromkeys(m.speaker for m in messages if m.speaker))
    for position, m in enumerate(messages, start=1):
        role = "user" if m.role == "agent" else "assistant"
        agent_turn += m.role == "agent"
        avatar = SPEAKER_AVATARS[speakers.index(m.speaker) % 2] if m.speaker else AVATARS[m.role]
        with st.chat_message(role, avatar=avatar):
            if numbered:
                cited = " · cited in the report" if marked and position in marked else ""
                who = f"Turn {agent_turn}" if m.role == "agent" else plain(m.speaker or "Customer")
                st.caption(f"{who} · frustration after: {m.frustration:.1f}{cited}")
            elif m.speaker:
                st.markdown(f"**{plain(m.speaker)}**")
            st.markdown(plain(m.content))
            for who, text in (comments or {}).get(position, []):
                st.info(plain(f"{who}: {text}"), icon=":material/comment:")
            if branch is not None and m.role == "agent" and st.button(
                    "Try a different reply here", key=f"branch-{agent_turn}", icon=":material/alt_route:",
                    type="tertiary", help="A new chat starts just before this message, with the customer exactly as "
                                          "it was then: write another reply and compare the scores."):
                branch(agent_turn)


def evidence_origin(evidence: EvidenceItem) -> str:
    """Which detector saw a piece of evidence, in words (grades stored before the semantic layer read as rules)."""
    if evidence.source == "model":
        return f"{evidence.kind}, read by meaning, {evidence.confidence * 100:.0f}% sure"
    if evidence.source == "context":
        return f"{evidence.kind}, from the conversation around it"
    return f"{evidence.kind}, exact phrase"
