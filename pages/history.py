"""A trainee's past chats with their scores, a trend, and one-click retry."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from services import HistoryItem
from services.scores import yes_no
from ui.context import app_services, chat_ui, or_stop, plain, require_actor

ENDED = {"resolved": "resolved", "walked_away": "customer walked away", "time": "ran out of turns",
         "agent_ended": "you ended it", None: "in progress"}

services = app_services()
actor = require_actor()  # first: it may send a fresh session through app.py's navigation
ui = chat_ui()
st.title("My progress" if actor.role == "trainee" else "Progress")
trainee = actor.username
if actor.is_staff:
    choices = or_stop(lambda: services.review.filter_choices(actor))
    if not choices.trainees:
        st.info("No trainees in your scope yet.")
        st.stop()
    trainee = st.selectbox("Trainee", choices.trainees, help="The trainees you may see.")
everything = or_stop(lambda: services.grading.history(actor, trainee))
items = [i for i in everything if i.mode == "practice"]
certification = [i for i in everything if i.mode != "practice"]
if not everything:
    st.info("No chats yet. Start one on the practice page.")
    st.stop()


def ended(reason: str | None) -> str:
    text = ENDED.get(reason, reason or "")
    return text if trainee == actor.username else text.replace("you ended it", "the trainee ended it")


def rows(chosen: list[HistoryItem]) -> list[dict[str, object]]:
    return [{"chat": i.session_id, "customer": i.persona_name, "difficulty": i.difficulty,
             "started": i.started_at.strftime("%Y-%m-%d %H:%M"), "ended": ended(i.ended_reason),
             "score": i.score_label, "passed": yes_no(i.passed),
             "grade": (i.grade_status or "not graded").replace("_", " "),
             "aids": aids(i)} for i in chosen]


def aids(item: HistoryItem) -> str:
    """What helped in this chat: hints asked for, and the chat it was branched from."""
    marks = [f"{item.hints} hint{'s' if item.hints != 1 else ''}"] if item.hints else []
    if item.branch_of is not None:
        marks.append(f"branch of #{item.branch_of}")
    return ", ".join(marks)


graded = [i for i in reversed(items) if i.overall is not None]
if graded:
    left, right = st.columns(2)
    left.metric("Latest score", f"{graded[-1].overall}/100" + (" (overridden)" if graded[-1].overridden else ""),
                delta=(graded[-1].overall - graded[-2].overall) if len(graded) > 1 else None)  # type: ignore[operator]
    right.metric("Practice chats passed", f"{sum(1 for i in graded if i.passed)} of {len(graded)}")
    st.markdown("#### Score trend (practice)")
    points = [{"attempt": n, "score": i.overall, "customer": i.persona_name, "chat": f"#{i.session_id}",
               "date": i.started_at.strftime("%Y-%m-%d"), "decided by": "trainer" if i.overridden else "grader",
               "aids": aids(i) or "none", "hints": "with hints" if i.hints else "without hints"}
              for n, i in enumerate(graded, start=1)]
    pass_mark = services.grading.pass_mark()
    line = alt.Chart(pd.DataFrame(points)).mark_line(point=alt.OverlayMarkDef(size=80)).encode(
        x=alt.X("attempt:O", title="graded chat, oldest first", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("score:Q", title="score", scale=alt.Scale(domain=[0, 100])),
        tooltip=["chat:N", "date:N", "customer:N", "score:Q", "decided by:N", "aids:N"],
        shape=alt.Shape("hints:N", title=None, scale=alt.Scale(domain=["without hints", "with hints"],
                                                               range=["circle", "triangle-up"])),
    )
    rule = alt.Chart(pd.DataFrame([{"pass": pass_mark}])).mark_rule(strokeDash=[4, 4], color="green").encode(
        y="pass:Q")
    st.altair_chart(line + rule, width="stretch")
    st.caption(f"Dashed line: pass mark ({pass_mark}). A score a trainer overrode is the trainer's decision. "
               "Triangles: chats where hints were used.")

st.markdown("#### Practice chats")
if items:
    st.dataframe(rows(items), hide_index=True, width="stretch")
else:
    st.caption("No practice chats yet.")
if certification:
    st.markdown("#### Certification chats")
    st.caption("Kept apart from the practice trend above; attempt results and certificates are on the "
               "Certification page.")
    st.dataframe(rows(certification), hide_index=True, width="stretch", key="certification-chats")
for i in items[:10]:
    cols = st.columns([3, 1, 1])
    cols[0].markdown(f"#{i.session_id} {plain(i.persona_name)} ({i.difficulty})" + (f" · {aids(i)}" if aids(i) else ""))
    if i.status == "ended" and cols[1].button("Report", key=f"report-{i.session_id}", width="stretch"):
        st.switch_page("pages/report.py", query_params={"session": str(i.session_id)})
    if i.status == "active" and trainee == actor.username and cols[1].button(
            "Resume", key=f"resume-{i.session_id}", width="stretch"):
        ui.session_id = i.session_id
        st.switch_page("pages/chat.py", query_params={"session": str(i.session_id)})
    if trainee == actor.username and cols[2].button("Retry", key=f"retry-{i.session_id}", width="stretch"):
        turn = services.practice.start(actor, persona_slug=i.persona_slug, difficulty=i.difficulty)
        turn.finish()
        if turn.session is not None:
            ui.session_id = turn.session.id
            st.switch_page("pages/chat.py", query_params={"session": str(turn.session.id)})
