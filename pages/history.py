"""A trainee's past chats with their scores, a trend, and one-click retry."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from ui.context import app_services, chat_ui, or_stop, require_actor

ENDED = {"resolved": "resolved", "walked_away": "customer walked away", "time": "ran out of turns",
         "agent_ended": "you ended it", None: "in progress"}

services = app_services()
actor = require_actor()  # first: it may send a fresh session through app.py's navigation
ui = chat_ui()
st.title("My progress" if actor.role == "trainee" else "Progress")
trainee = actor.username
if actor.is_staff:
    trainee = st.text_input("Trainee", value=actor.username, max_chars=40,
                            help="Staff can look at any trainee in their scope.").strip().lower()
items = or_stop(lambda: services.grading.history(actor, trainee))
if not items:
    st.info("No chats yet. Start one on the practice page.")
    st.stop()

graded = [i for i in reversed(items) if i.overall is not None]
if graded:
    left, right = st.columns(2)
    left.metric("Latest score", f"{graded[-1].overall}/100",
                delta=(graded[-1].overall - graded[-2].overall) if len(graded) > 1 else None)  # type: ignore[operator]
    right.metric("Chats passed", f"{sum(1 for i in graded if i.passed)} of {len(graded)}")
    st.markdown("#### Score trend")
    points = [{"attempt": n, "score": i.overall, "customer": i.persona_name, "chat": f"#{i.session_id}"}
              for n, i in enumerate(graded, start=1)]
    pass_mark = services.grading.pass_mark()
    line = alt.Chart(pd.DataFrame(points)).mark_line(point=alt.OverlayMarkDef(size=80)).encode(
        x=alt.X("attempt:O", title="graded chat, oldest first", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("score:Q", title="score", scale=alt.Scale(domain=[0, 100])),
        tooltip=["chat:N", "customer:N", "score:Q"],
    )
    rule = alt.Chart(pd.DataFrame([{"pass": pass_mark}])).mark_rule(strokeDash=[4, 4], color="green").encode(
        y="pass:Q")
    st.altair_chart(line + rule, use_container_width=True)
    st.caption(f"Dashed line: pass mark ({pass_mark}).")

st.markdown("#### Chats")
st.dataframe(
    [{"chat": i.session_id, "customer": i.persona_name, "difficulty": i.difficulty,
      "started": i.started_at.strftime("%Y-%m-%d %H:%M"), "ended": ENDED.get(i.ended_reason, i.ended_reason),
      "score": i.overall, "passed": i.passed, "grade": i.grade_status or ""} for i in items],
    hide_index=True, use_container_width=True,
)
for i in items[:10]:
    cols = st.columns([3, 1, 1])
    cols[0].write(f"#{i.session_id} {i.persona_name} ({i.difficulty})")
    if i.status == "ended" and cols[1].button("Report", key=f"report-{i.session_id}", use_container_width=True):
        st.switch_page("pages/report.py", query_params={"session": str(i.session_id)})
    if i.status == "active" and trainee == actor.username and cols[1].button(
            "Resume", key=f"resume-{i.session_id}", use_container_width=True):
        ui.session_id = i.session_id
        st.switch_page("pages/chat.py", query_params={"session": str(i.session_id)})
    if cols[2].button("Retry", key=f"retry-{i.session_id}", use_container_width=True):
        turn = services.practice.start(actor, persona_slug=i.persona_slug, difficulty=i.difficulty)
        turn.finish()
        if turn.session is not None:
            ui.session_id = turn.session.id
            st.switch_page("pages/chat.py", query_params={"session": str(turn.session.id)})
