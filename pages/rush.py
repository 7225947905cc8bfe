"""Rush hour: two or three customers at once, one tab each, a waiting clock per customer, and the report of them all."""

from __future__ import annotations

import streamlit as st

from services import DIFFICULTIES, PracticeError, RushReport, RushView
from services.rush import DEFAULT_CUSTOMERS, MAX_CUSTOMERS, RushCustomer
from ui.context import app_services, id_param, plain, require_actor
from ui.widgets import frustration_bar, mood, transcript

services = app_services()
rush = services.rush
actor = require_actor()
KEPT = {True: "yes", False: "no", None: "did not wait long"}
ENDED = {"resolved": "resolved", "walked_away": "walked away", "time": "ran out of turns",
         "agent_ended": "you ended it"}


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def reply_key(session_id: int) -> str:
    return f"rush-reply-{session_id}"


def open_rush(rush_id: int | None) -> None:
    if rush_id is None:
        st.query_params.clear()
    else:
        st.query_params["rush"] = str(rush_id)
    st.rerun()


def start_form() -> None:
    st.write("Two or three customers write to you at once, each in a tab of their own. A clock shows how long each "
             "has waited for you. Left unanswered, a customer writes again, more frustrated, and the third time "
             "leaves. The workshop's advice for peak times: tell a waiting customer what is happening and when you "
             "will be back (communicating the delay beats silence). A customer you keep posted waits twice as long.")
    choices = dict(rush.customers())
    with st.form("start-rush"):
        chosen = st.multiselect("Customers (two or three)", list(choices), default=list(DEFAULT_CUSTOMERS),
                                format_func=choices.__getitem__, max_selections=MAX_CUSTOMERS)
        difficulty = st.radio("Difficulty", DIFFICULTIES, index=1, horizontal=True)
        patience = services.practice.settings.rush_patience_seconds
        st.caption(f"At normal difficulty a customer writes again after {clock(patience)} unanswered.")
        if st.form_submit_button("Start rush hour", type="primary"):
            try:
                with st.spinner("Your customers are arriving…"):
                    started = rush.start(actor, chosen, difficulty=difficulty)
            except PracticeError as exc:
                st.error(plain(str(exc)))
            else:
                open_rush(started)
    running = rush.running(actor)
    if running:
        st.subheader("Unfinished rush hours")
        for r in running:
            names = plain(", ".join(c.chat.persona_name for c in r.customers))
            if st.button(f"#{r.id}: {names} ({r.difficulty})", key=f"resume-{r.id}"):
                open_rush(r.id)


def status(customer: RushCustomer) -> str:
    chat = customer.chat
    if not chat.active:
        return ENDED.get(chat.ended_reason or "", "ended")
    if customer.waiting_seconds is None:
        return "answering you"
    return f"waiting {clock(customer.waiting_seconds)}"


def board(view: RushView) -> None:
    """One column per customer: the waiting clock, the meter, and how often they wrote again."""
    for column, customer in zip(st.columns(len(view.customers)), view.customers, strict=True):
        chat = customer.chat
        with column.container(border=True, key=f"clock-{chat.id}"):
            st.markdown(f"**{plain(chat.persona_name)}**")
            waited = customer.waiting_seconds
            if chat.active and waited is not None:
                urgent = waited >= customer.patience * 0.6
                st.markdown(f"{':red' if urgent else ':orange'}[:material/timer: waiting "
                            f"**{clock(waited)}**]")
            else:
                st.markdown(f":gray[{plain(status(customer))}]")
            frustration_bar(chat.frustration, *mood(chat.frustration), who=chat.persona_name)
            notes = []
            if customer.nudges:
                notes.append(f"wrote again {customer.nudges}×")
            if customer.kept_posted:
                notes.append("kept posted")
            st.caption(" · ".join(notes) or f"writes again after {clock(customer.patience)}")


def live(rush_id: int) -> None:
    """The clocks, every second: a customer left past their patience writes again (the whole page then redraws)."""

    @st.fragment(run_every=1)
    def clocks() -> None:
        try:
            written = rush.tick(actor, rush_id)
            view = rush.get(actor, rush_id)
        except PracticeError as exc:
            st.error(plain(str(exc)))
            return
        if written:
            st.rerun()
        board(view)

    clocks()


def send_waiting(view: RushView) -> None:
    """Messages typed into the tabs' boxes since the last run: sent before anything is drawn (a refusal is said in
    its tab, and the text goes back into its box)."""
    for customer in view.customers:
        key = reply_key(customer.chat.id)
        text = st.session_state.get(key)
        if not isinstance(text, str):
            continue
        try:
            rush.send(actor, view.id, customer.chat.id, text).finish()
        except PracticeError as exc:
            st.session_state[f"refused-{customer.chat.id}"] = str(exc)
            st.session_state[key] = text
        st.rerun()


def running(view: RushView) -> None:
    send_waiting(view)
    st.caption(f"Rush hour #{view.id} · {view.difficulty} · {len(view.customers)} customers · "
               "start a reply in a customer's tab; tell anyone you keep waiting what is happening and when you "
               "will be back.")
    live(view.id)
    tabs = st.tabs([f"{plain(c.chat.persona_name)} · {status(c)}" for c in view.customers])
    for tab, customer in zip(tabs, view.customers, strict=True):
        chat = customer.chat
        with tab:
            st.caption(plain(chat.persona_title))
            transcript(chat.messages)
            refusal = st.session_state.pop(f"refused-{chat.id}", None)
            if refusal:
                st.error(plain(refusal))
            if chat.active:
                limit = services.practice.settings.max_message_chars
                st.chat_input(f"Reply to {chat.persona_name} (up to {limit:,} characters)", key=reply_key(chat.id),
                              disabled=chat.awaiting_reply)
            else:
                st.info(f"{plain(chat.persona_name)}: {status(customer)}.")
    with st.popover("End rush hour and see the report"):
        st.write("End every chat still running? Each is graded on what you wrote so far.")
        if st.button("Yes, end rush hour", type="primary"):
            try:
                with st.spinner("Grading each conversation…"):
                    rush.end(actor, view.id)
            except PracticeError as exc:
                st.error(plain(str(exc)))
            else:
                st.rerun()


def report(result: RushReport) -> None:
    st.subheader(f"Rush hour #{result.rush.id}: your report")
    waited = [c for c in result.conversations if c.kept_posted is not None]
    posted = [c for c in waited if c.kept_posted]
    longest = max(result.conversations, key=lambda c: c.longest_wait)
    st.write(f"You kept **{len(posted)} of {len(waited)}** customers who waited posted. Longest wait: "
             f"**{clock(longest.longest_wait)}** ({plain(longest.name)}).")
    rows = ["| Customer | Score | Ended | Longest wait | Total waiting | Wrote again | Kept posted |",
            "|---|---|---|---|---|---|---|"]
    rows += [f"| {plain(c.name)} | {'—' if c.overall is None else f'{c.overall}/100'} | "
             f"{ENDED.get(c.ended_reason or '', '—')} | {clock(c.longest_wait)} | {clock(c.total_wait)} | "
             f"{c.nudges} | {KEPT[c.kept_posted]} |" for c in result.conversations]
    st.markdown("\n".join(rows))
    for c in result.conversations:
        with st.container(border=True, key=f"conversation-{c.session_id}"):
            left, right = st.columns([3, 1], vertical_alignment="center")
            left.markdown(f"**{plain(c.name)}** · {plain(c.title)} · "
                          + ("not graded (you never wrote to them)" if c.overall is None else f"score {c.overall}/100"))
            if c.kept_posted:
                left.caption("Kept posted: you told them what was happening before they had to chase you.")
            elif c.kept_posted is False:
                late = " and you spoke of the delay only after they chased you" if c.posted else \
                    " without a word from you about the delay"
                left.caption(f"Not kept posted: waited up to {clock(c.longest_wait)}, wrote again {c.nudges}×{late}.")
            for q in c.posted:
                left.caption(f"Spoke of the wait at turn {q.turn}: “{plain(q.quote)}”")
            if right.button("Open the full report", key=f"report-{c.session_id}"):
                st.switch_page("pages/report.py", query_params={"session": str(c.session_id)})
    if st.button("Start another rush hour", type="primary"):
        open_rush(None)


st.title("Rush hour")
address = id_param("rush")
rush_id = address.value
if address.invalid:  # e.g. ?rush=² or an id past the database's range: no query runs on it
    st.error(plain(address.not_found("rush hour")))
    if st.button("Start a rush hour"):
        open_rush(None)
elif rush_id is None:
    start_form()
else:
    try:
        current = rush.get(actor, rush_id)
    except PracticeError as exc:
        st.error(plain(str(exc)))
        if st.button("Start a rush hour"):
            open_rush(None)
    else:
        if current.active:
            running(current)
        else:
            report(rush.report(actor, rush_id))
