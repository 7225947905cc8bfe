"""Calibration (trainers and admins): how far the grader agrees with trainers, per criterion, and where it
disagrees most. The services compute every figure; this page only renders."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.context import app_services, or_stop, plain, require_actor
from ui.widgets import measured

services = app_services()
actor = require_actor()
calibration = services.calibration
st.title("Calibration")
st.caption("Every override, confirmed level, certification review and decided dispute is a trainer's judgement of "
           "one criterion on a real chat. The grader decides a certification result alone only on trusted criteria.")

first = or_stop(lambda: calibration.agreement(actor))
version = st.selectbox("Rubric version", first.versions, index=first.versions.index(first.rubric_number),
                       format_func=lambda v: f"version {v}" + (" (newest)" if v == first.rubric_number else ""))
table = first if version == first.rubric_number else or_stop(lambda: calibration.agreement(actor, version))
trusted = [c for c in table.criteria if c.trusted]
judged, kappa_min, exact = st.columns(3)
judged.metric("Trusted criteria", f"{len(trusted)} of {len(table.criteria)}")
kappa_min.metric("Trusted when", f"≥ {table.min_judged} chats, κ ≥ {table.threshold:g}")
exact.metric("Chats judged (most judged criterion)", max((c.judged for c in table.criteria), default=0))


st.dataframe(pd.DataFrame([{
    "criterion": c.name, "id": c.id, "chats judged": c.judged, "kappa (quadratic)": measured(c.kappa),
    "exact agreement": measured(c.exact, percent=True), "grader said n/a": c.not_applicable,
    "trusted": "yes" if c.trusted else "no",
} for c in table.criteria]), hide_index=True, width="stretch", height=35 * (len(table.criteria) + 1) + 3)
st.caption("Kappa 1 is perfect agreement, 0 what chance gives; a miss by two levels costs four times a miss by one. "
           "“—”: not enough spread to measure (fewer than two chats judged, or every judged chat alike: the grader on "
           "one level and the trainers on one level).")
st.download_button("Download as CSV", table.csv(), file_name=f"calibration-rubric-v{table.rubric_number}.csv",
                   mime="text/csv")

names = {c.id: c.name for c in table.criteria}
picked = st.selectbox("Criterion", list(names), format_func=lambda cid: names[cid])
row = next(c for c in table.criteria if c.id == picked)
left, right = st.columns(2)
with left:
    st.markdown("#### Grader level × trainer level")
    st.dataframe(pd.DataFrame([list(r) for r in row.confusion], index=[f"grader {i}" for i in range(4)],
                              columns=[f"trainer {j}" for j in range(4)]), width="stretch")
    st.caption("Counts of judged chats; agreement is the diagonal.")
with right:
    st.markdown("#### Kappa as judgements arrived")
    points = [(n, k) for n, k in or_stop(lambda: calibration.trend(actor, picked, version)) if k is not None]
    if len(points) < 2:
        st.info("Not enough judgements of this criterion yet to draw a trend.")
    else:
        st.line_chart(pd.DataFrame(points, columns=["chats judged", "kappa"]), x="chats judged", y="kappa",
                      height=220)

st.markdown("#### Where grader and trainers disagree most")
worst = or_stop(lambda: calibration.disagreements(actor, version))
if not worst:
    st.info("No disagreements yet.")
for d in worst:
    grader = "n/a" if d.grader is None else f"{d.grader}/3"
    st.page_link("pages/report.py", query_params={"session": str(d.session_id)}, icon=":material/grading:",
                 label=plain(f"Chat #{d.session_id} · {d.trainee} · {d.persona} — {d.criterion}: grader {grader}, "
                             f"{d.by} {d.trainer}/3 ({d.source})"))
