"""Practice chat page: pick a customer, chat, watch the frustration meter, end or resume."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from services import DIFFICULTIES, PracticeError, SessionView, TurnStream
from ui.context import app_services, chat_ui, id_param, plain, require_actor
from ui.widgets import AVATARS, frustration_bar, mood, pin_to_top, stream_reply, transcript

#: The chat box's widget key: a refused message is put back into it.
REPLY_KEY = "reply"
#: The closed box an ended chat shows in its place (a key of its own: a stale tab's text is never put in it).
ENDED_KEY = "reply-ended"
#: How often an open chat looks in the database for a change made elsewhere (another tab, another replica).
CHECK_SECONDS = 10
ENDINGS = {
    "resolved": ("success", "The customer is satisfied: you resolved the chat."),
    "resolved_dispute": ("success", "Both customers accepted: you resolved the dispute."),
    "walked_away": ("error", "The customer walked away."),
    "time": ("warning", "The chat ran out of turns."),
    "agent_ended": ("info", "You ended the chat."),
}

services = app_services()
service = services.practice
actor = require_actor()  # first: it may send a fresh session through app.py's navigation
ui = chat_ui()
if ui.session_id is None and "session" in st.query_params:
    address = id_param("session")
    ui.session_id = address.value
    if address.invalid:
        ui.notice = address.not_found("chat")


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
                if st.button(label, key=f"start-{card.slug}", width="stretch"):
                    try:
                        run_turn(service.start(actor, persona_slug=card.slug, difficulty=difficulty))
                    except PracticeError as exc:
                        st.error(plain(str(exc)))


def sidebar(view: SessionView | None) -> str:
    """The chat on screen (named, so it is never confused with the picker), then "New chat", which starts from the
    customer and difficulty on screen."""
    with st.sidebar:
        cards = service.personas()
        slugs = [c.slug for c in cards]
        if view is not None:
            with st.container(border=True, key="chat-on-screen"):
                who = " and ".join(p.name for p in view.parties) or view.persona_name
                st.markdown(f"**{'Chat' if view.active else 'Ended chat'} on screen:** {plain(who)}")
                st.caption(f"{plain(view.persona_title)} · {view.difficulty} · chat #{view.id}")
        st.header("New chat")
        on_screen = view is not None and view.persona_slug in slugs
        card = st.selectbox("Customer", cards, format_func=lambda c: c.title,
                            index=slugs.index(view.persona_slug) if view is not None and on_screen else 0)
        difficulty = st.radio("Difficulty", DIFFICULTIES, horizontal=True,
                              index=DIFFICULTIES.index(view.difficulty) if view is not None else 1)
        if card is not None:
            st.caption(plain(card.summary))
            st.caption(f"Starts at frustration {card.start_frustration[difficulty]:.0f}/10.")
        if st.button("Start new chat", type="primary", width="stretch", disabled=card is None):
            try:
                run_turn(service.start(actor, persona_slug=card.slug, difficulty=difficulty))
            except PracticeError as exc:
                st.error(plain(str(exc)))
        st.caption(f"Customer: {plain(backend_label(service.settings.llm_backend, service.settings.customer_model))}")
        unfinished = service.unfinished(actor)
        if unfinished:
            st.subheader("Unfinished chats")
            for s in unfinished:
                label = f"#{s.id} {plain(s.persona_name)} ({s.difficulty}, {s.turns} turns)"
                if st.button(label, key=f"resume-{s.id}", width="stretch"):
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
    """The frustration meter, pinned to the top of the chat area (it stays in view as the chat scrolls)."""
    agent_seqs = [i for i, m in enumerate(view.messages) if m.role == "agent"]
    before_last = view.messages[agent_seqs[-1] - 1].frustration if agent_seqs else view.frustration
    feeling, color = mood(view.frustration)
    with st.container(key="frustration-meter"):
        left, right = st.columns([4, 1], vertical_alignment="center")
        with left:
            if view.parties:  # a dispute: each customer's own meter
                for party in view.parties:
                    frustration_bar(party.frustration, *mood(party.frustration), who=party.name)
            else:
                frustration_bar(view.frustration, feeling, color)
            st.badge(feeling, color=color)  # type: ignore[arg-type]
            st.caption(f"Stage: {view.stage} · turn {view.agent_turns} · {usage(view)}")
        with right:
            # With two customers each message carries its speaker's frustration: no single "before" to compare with.
            change = None if view.parties else round(view.frustration - before_last, 1) or None
            st.metric("Frustration" if not view.parties else "Higher of the two", f"{view.frustration:.1f}",
                      delta=change, delta_color="inverse")


def open_report(session_id: int) -> None:
    st.switch_page("pages/report.py", query_params={"session": str(session_id)})


def refused(message: str, text: str, *, back_in_box: bool) -> None:
    """A message the service refused: say why, and lose nothing typed (back in the box, or shown to copy)."""
    st.error(plain(message))
    if not text.strip():
        return
    if back_in_box:
        st.session_state[REPLY_KEY] = text  # before the box is drawn: it shows the text again
        st.caption("Your text is back in the box below.")
    else:
        st.caption("Your message was not sent. Here it is, to copy:")
        st.code(text, language=None)


def end_chat(view: SessionView) -> None:
    """End and grade, after the trainee confirms (ending cannot be undone)."""
    with st.popover("End chat and see my report"):
        who = " and ".join(p.name for p in view.parties) or view.persona_name
        st.write(f"End the chat with {plain(who)} now? It is graded on what you wrote so far, and "
                 "you cannot write to this customer again.")
        st.caption("Click anywhere else to keep chatting.")
        if st.button("Yes, end the chat and grade it", type="primary"):
            try:
                services.practice.end_and_grade(actor, view.id)
            except PracticeError as exc:
                st.error(plain(str(exc)))
            else:
                open_report(view.id)


def branch_at(view: SessionView) -> Callable[[int], None] | None:
    """The action behind each "Try a different reply here" button: practice chats of the trainee's own only."""
    if view.mode != "practice" or view.trainee != actor.username:
        return None

    def branch(turn: int) -> None:
        try:
            new = services.branches.branch(actor, view.id, turn)
        except PracticeError as exc:
            ui.notice = str(exc)
        else:
            ui.notice = f"A new try from your turn {turn} of chat #{view.id}: write a different reply."
            open_session(new)
        st.rerun()

    return branch


def hint_box(view: SessionView) -> None:
    """The coach on demand: the hint for this moment (asked for once, shown until the trainee writes)."""
    shown = services.hints.used(actor, view.id)
    now = view.agent_turns + 1
    current = next((h for h in shown if h.turn == now), None)
    if current is None and st.button("Hint", icon=":material/lightbulb:",
                                     help="One short hint for your next message. Hints used are shown on your "
                                          "report and marked in your progress."):
        try:
            services.hints.hint(actor, view.id)
        except PracticeError as exc:
            st.error(plain(str(exc)))
        else:
            st.rerun()  # drawn again with the hint in place of the button
    if current is not None:
        with st.container(border=True, key="hint"):
            st.markdown(f":material/lightbulb: **Hint for turn {current.turn}:** {plain(current.text)}")
            st.caption(f"From the workshop: {plain(current.source)}"
                       + (f" · phrased by {plain(current.phrased_by)}" if current.phrased_by else ""))


def chat(view: SessionView) -> None:
    # Read the chat box before it is drawn: a refused message then goes back into it, and a message sent from a
    # stale tab into a chat that has ended (where no box is drawn) is still answered.
    submitted = st.session_state.get(REPLY_KEY)
    text = submitted if isinstance(submitted, str) else None
    st.subheader(plain(view.persona_title) if view.parties else
                 f"{plain(view.persona_name)} · {plain(view.persona_title)}")
    pin_to_top("frustration-meter")
    meter(view)
    # Below the meter: the pinned meter paints the strip above it (under Streamlit's header) over what sits there.
    st.caption(f"Difficulty: {view.difficulty} · chat #{view.id} · trainee: {plain(view.trainee)} · "
               f"customer: {plain(backend_label(view.backend, view.model))}")
    if view.rush_id is not None:
        note, back = st.columns([3, 1], vertical_alignment="center")
        note.caption(f":material/timer: One of the customers of rush hour #{view.rush_id}: their waiting clock runs "
                     "on the Rush hour page.")
        if back.button(f"Back to rush hour #{view.rush_id}", type="tertiary", key="open-rush"):
            st.switch_page("pages/rush.py", query_params={"rush": str(view.rush_id)})
    if view.branch_of is not None:
        note, back = st.columns([3, 1], vertical_alignment="center")
        note.caption(f":material/alt_route: A different try from your turn {view.branch_turn} of chat "
                     f"#{view.branch_of}.")
        if back.button(f"Open chat #{view.branch_of}", type="tertiary", key="open-parent"):
            open_session(view.branch_of)
            st.rerun()
    transcript(view.messages, branch=branch_at(view))
    if ui.notice:
        st.warning(plain(ui.notice))
        ui.notice = None
    refusal = None
    if text is not None:
        # Shown the moment it is sent: the customer reacts to it first (reading it can take seconds on a busy
        # machine), then answers. Taken back if the service refuses it (nothing is stored then).
        sent = st.empty()
        if view.active and not view.awaiting_reply and text.strip() and len(text) <= service.settings.max_message_chars:
            with sent.container(), st.chat_message("user", avatar=AVATARS["agent"]):
                st.markdown(plain(text))
        try:
            turn = service.send(actor, view.id, text)
        except PracticeError as exc:
            sent.empty()
            refusal = str(exc)
        else:
            run_turn(turn)
    if not view.active:
        if refusal is not None and text is not None:
            refused(refusal, text, back_in_box=False)
        reason = "resolved_dispute" if view.parties and view.ended_reason == "resolved" else view.ended_reason
        kind, ending = ENDINGS.get(reason or "", ("info", "This chat has ended."))
        getattr(st, kind)(ending)
        report, again, new = st.columns(3)
        if report.button("See your report", type="primary", width="stretch"):
            open_report(view.id)
        if again.button("Try this customer again", width="stretch"):
            try:
                run_turn(service.start(actor, persona_slug=view.persona_slug, difficulty=view.difficulty))
            except PracticeError as exc:
                st.error(plain(str(exc)))
        if new.button("Pick another customer", width="stretch"):
            ui.session_id = None
            st.query_params.clear()
            st.rerun()
        # A box at the bottom still, only closed: without one, Streamlit swaps the page's scrolling area for another
        # (the chat box's "stick to the end" one goes), which jumps to the top, far from the end notice above.
        st.chat_input("This chat has ended: nothing more can be sent", key=ENDED_KEY, disabled=True)
        return
    if view.awaiting_reply:
        st.info("The customer has not answered yet.")
        if st.button("Retry the customer's reply", type="primary"):
            try:
                run_turn(service.retry(actor, view.id))
            except PracticeError as exc:
                st.error(plain(str(exc)))
    if not view.awaiting_reply and view.mode == "practice":
        hint_box(view)
    end_chat(view)
    if refusal is not None and text is not None:
        refused(refusal, text, back_in_box=not view.awaiting_reply)
    # No max_chars: the browser would silently drop a longer paste; the service refuses it with the limit instead.
    limit = service.settings.max_message_chars
    to = (" and ".join(p.name for p in view.parties) + ": start with a name to speak to one"
          if view.parties else view.persona_name)
    st.chat_input(f"Reply to {to} (up to {limit:,} characters)", key=REPLY_KEY, disabled=view.awaiting_reply)


@st.fragment(run_every=CHECK_SECONDS)
def keep_current(session_id: int) -> None:
    """Redraw the page when the stored chat changed elsewhere (another tab wrote to it or ended it).

    Being a periodic fragment, it also makes the browser rerun the whole page when its websocket reconnects.
    Behind a load balancer that is another replica after this one died, which otherwise would draw nothing
    until the trainee's next click: now the chat comes back from the database at once.
    """
    try:
        fresh = service.get(actor, session_id)
    except PracticeError:
        return
    stamp = (len(fresh.messages), fresh.active)
    if ui.chat_stamp is None:  # the page's own run (it clears the stamp): what the trainee sees now
        ui.chat_stamp = stamp
    elif ui.chat_stamp != stamp:
        ui.chat_stamp = None
        st.rerun(scope="app")


def open_view() -> tuple[SessionView | None, str | None]:
    """The chat the address or the session names, or why it cannot be shown."""
    if ui.session_id is None:
        return None, None
    try:
        return service.get(actor, ui.session_id), None
    except PracticeError as exc:
        ui.session_id = None
        st.query_params.clear()
        return None, str(exc)


current, problem = open_view()
chosen_difficulty = sidebar(current)
st.title("Difficult-customer practice")
if problem:
    st.error(plain(problem))
if ui.notice and current is None:
    st.warning(plain(ui.notice))
    ui.notice = None
if current is None:
    st.write("Choose a customer below (or in the sidebar) and a difficulty. The customer reacts to what you "
             "write: listen, acknowledge, ask questions, own the next step, and keep your limits.")
    persona_cards(chosen_difficulty)
else:
    chat(current)
    if current.active:
        ui.chat_stamp = None
        keep_current(current.id)
