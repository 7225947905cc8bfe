"""Practice chat page: pick a customer, chat, watch the frustration meter, end or resume."""

from __future__ import annotations

import streamlit as st

from services import DIFFICULTIES, PracticeError, SessionView, TurnStream
from ui.context import app_services, chat_ui, plain, require_actor, session_param
from ui.widgets import AVATARS, stream_reply, transcript

BANDS = ((3.5, "fairly calm", "green"), (6.5, "annoyed", "orange"), (10.1, "very angry", "red"))
ENDINGS = {
    "resolved": ("success", "The customer is satisfied: you resolved the chat."),
    "walked_away": ("error", "The customer walked away."),
    "time": ("warning", "The chat ran out of turns."),
    "agent_ended": ("info", "You ended the chat."),
}

services = app_services()
service = services.practice
actor = require_actor()  # first: it may send a fresh session through app.py's navigation
ui = chat_ui()
if ui.session_id is None and "session" in st.query_params:
    ui.session_id = session_param()
    if ui.session_id is None:
        ui.notice = "The link points to no chat."


def open_session(session_id: int) -> None:
    ui.session_id = session_id
    st.query_params["session"] = str(session_id)


def run_turn(turn: TurnStream) -> None:
    stream_reply(turn)
    if turn.session is not None:
        open_session(turn.session.id)
    if turn.error:
        ui.notice = turn.error
    st.rerun()


def persona_cards(difficulty: str) -> None:
    """The customers to choose from, each with a one-click start at the sidebar's difficulty."""
    cards = service.personas()
    for row_start in range(0, len(cards), 3):
        for column, card in zip(st.columns(3), cards[row_start:row_start + 3], strict=False):
            with column.container(border=True):
                st.markdown(f"**{plain(card.title)}**")
                st.caption(plain(card.summary))
                label = f"Start ({difficulty}, frustration {card.start_frustration[difficulty]:.0f}/10)"
                if st.button(label, key=f"start-{card.slug}", use_container_width=True):
                    try:
                        run_turn(service.start(actor, persona_slug=card.slug, difficulty=difficulty))
                    except PracticeError as exc:
                        st.error(str(exc))


def sidebar() -> str:
    with st.sidebar:
        st.header("New chat")
        cards = service.personas()
        card = st.selectbox("Customer", cards, format_func=lambda c: c.title)
        difficulty = st.radio("Difficulty", DIFFICULTIES, index=1, horizontal=True)
        if card is not None:
            st.caption(plain(card.summary))
            st.caption(f"Starts at frustration {card.start_frustration[difficulty]:.0f}/10.")
        if st.button("Start new chat", type="primary", use_container_width=True, disabled=card is None):
            try:
                run_turn(service.start(actor, persona_slug=card.slug, difficulty=difficulty))
            except PracticeError as exc:
                st.error(str(exc))
        st.caption(f"Customer: {backend_label(service.settings.llm_backend, service.settings.customer_model)}")
        unfinished = service.unfinished(actor)
        if unfinished:
            st.subheader("Unfinished chats")
            for s in unfinished:
                label = f"#{s.id} {s.persona_name} ({s.difficulty}, {s.turns} turns)"
                if st.button(label, key=f"resume-{s.id}", use_container_width=True):
                    open_session(s.id)
                    st.rerun()
        skipped = service.skipped_personas()
        if skipped:
            with st.expander(f"{len(skipped)} persona file(s) skipped"):
                for message in skipped:
                    st.text(message)
    return difficulty


def backend_label(backend: str, model: str | None) -> str:
    if backend == "scripted":
        return "scripted lines (no model)"
    if backend == "local":
        return "SmolLM2-135M on this machine, a tiny demo model (expect odd lines)"
    return f"{model} via the configured endpoint"


def usage(view: SessionView) -> str:
    if view.backend == "scripted":
        return "scripted customer: no model tokens"
    text = f"tokens: {view.tokens_in:,} in / {view.tokens_out:,} out"
    settings = service.settings
    if settings.price_per_1k_input is not None and settings.price_per_1k_output is not None:
        cost = (view.tokens_in * settings.price_per_1k_input + view.tokens_out * settings.price_per_1k_output) / 1000
        text += f" (≈ {cost:.4f} in your configured currency)"
    return text


def meter(view: SessionView) -> None:
    left, right = st.columns([4, 1])
    agent_seqs = [i for i, m in enumerate(view.messages) if m.role == "agent"]
    before_last = view.messages[agent_seqs[-1] - 1].frustration if agent_seqs else view.frustration
    mood, color = next((label, c) for limit, label, c in BANDS if view.frustration < limit)
    with left:
        st.progress(min(1.0, view.frustration / 10), text=f"Customer frustration: {view.frustration:.1f} / 10")
        st.badge(mood, color=color)  # type: ignore[arg-type]
        st.caption(f"Stage: {view.stage} · turn {view.agent_turns} · {usage(view)}")
    with right:
        st.metric("Frustration", f"{view.frustration:.1f}", delta=round(view.frustration - before_last, 1) or None,
                  delta_color="inverse")


def open_report(session_id: int) -> None:
    st.switch_page("pages/report.py", query_params={"session": str(session_id)})


def chat(view: SessionView) -> None:
    st.subheader(f"{view.persona_name} · {view.persona_title}")
    st.caption(f"Difficulty: {view.difficulty} · chat #{view.id} · trainee: {view.trainee} · "
               f"customer: {backend_label(view.backend, view.model)}")
    meter(view)
    transcript(view.messages)
    if ui.notice:
        st.warning(ui.notice)
        ui.notice = None
    if not view.active:
        kind, ending = ENDINGS.get(view.ended_reason or "", ("info", "This chat has ended."))
        getattr(st, kind)(ending)
        report, again, new = st.columns(3)
        if report.button("See your report", type="primary", use_container_width=True):
            open_report(view.id)
        if again.button("Try this customer again", use_container_width=True):
            run_turn(service.start(actor, persona_slug=view.persona_slug, difficulty=view.difficulty))
        if new.button("Pick another customer", use_container_width=True):
            ui.session_id = None
            st.query_params.clear()
            st.rerun()
        return
    if view.awaiting_reply:
        st.info("The customer has not answered yet.")
        if st.button("Retry the customer's reply", type="primary"):
            run_turn(service.retry(actor, view.id))
    if st.button("End chat and see my report", help="Finish this conversation and grade it"):
        try:
            services.end_and_grade(actor, view.id)
        except PracticeError as exc:
            st.error(str(exc))
        else:
            open_report(view.id)
    limit = service.settings.max_message_chars
    text = st.chat_input(f"Reply to {view.persona_name} (up to {limit:,} characters)", max_chars=limit,
                         disabled=view.awaiting_reply)
    if text is not None:
        with st.chat_message("user", avatar=AVATARS["agent"]):
            st.markdown(plain(text))
        try:
            run_turn(service.send(actor, view.id, text))
        except PracticeError as exc:
            st.error(str(exc))
            if text.strip():  # refused before it was stored: give it back so nothing typed is lost
                st.caption("Your message was not sent. Here it is, to copy and send again:")
                st.code(text, language=None)


chosen_difficulty = sidebar()
st.title("Difficult-customer practice")
if ui.notice and ui.session_id is None:
    st.warning(ui.notice)
    ui.notice = None
if ui.session_id is None:
    st.write("Choose a customer below (or in the sidebar) and a difficulty. The customer reacts to what you "
             "write: listen, acknowledge, ask questions, own the next step, and keep your limits.")
    persona_cards(chosen_difficulty)
else:
    try:
        chat(service.get(actor, ui.session_id))
    except PracticeError as exc:
        st.error(str(exc))
        ui.session_id = None
        st.query_params.clear()
