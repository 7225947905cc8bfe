"""Analytics: a trainee's trend, criterion profile and sessions per week; for staff, a team's heatmap and weak spots.
Every chart's data can be downloaded."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from services import PracticeError
from ui.context import app_services, or_stop, require_actor

services = app_services()
actor = require_actor()
st.title("Analytics")


def chart_with_data(chart: alt.Chart, data: pd.DataFrame, name: str) -> None:
    st.altair_chart(chart, use_container_width=True)
    st.download_button(f"Download {name} (CSV)", data.to_csv(index=False), file_name=f"{name}.csv",
                       mime="text/csv", key=f"dl-{name}")


trainee = actor.username
if actor.is_staff:
    trainee = st.text_input("Trainee", value=actor.username, max_chars=40).strip().lower()
mine = or_stop(lambda: services.analytics.trainee(actor, trainee))
st.subheader(f"Trainee: {trainee}")
if not mine.trend:
    st.info("No graded chats yet.")
else:
    trend = pd.DataFrame(mine.trend)
    chart_with_data(alt.Chart(trend).mark_line(point=True).encode(
        x=alt.X("date:T", title="date"), y=alt.Y("score:Q", scale=alt.Scale(domain=[0, 100])),
        tooltip=["chat", "score"]), trend, "score-trend")
    profile = pd.DataFrame(mine.criteria)
    chart_with_data(alt.Chart(profile).mark_bar().encode(
        x=alt.X("average_level:Q", scale=alt.Scale(domain=[0, 3]), title="average level (0-3)"),
        y=alt.Y("criterion:N", sort="x"), tooltip=["criterion", "average_level", "graded"]), profile,
        "criterion-profile")
    weekly = pd.DataFrame(mine.per_week)
    chart_with_data(alt.Chart(weekly).mark_bar().encode(x=alt.X("week:N"), y="sessions:Q"), weekly,
                    "sessions-per-week")

if actor.is_staff:
    st.subheader("Team")
    team = st.text_input("Team", value=actor.team or "", max_chars=60).strip()
    if team:
        try:
            view = services.analytics.team(actor, team)
        except PracticeError as exc:
            st.error(str(exc))
            st.stop()
        if not view.heatmap:
            st.info("No graded chats in this team yet.")
        else:
            heat = pd.DataFrame(view.heatmap)
            chart_with_data(alt.Chart(heat).mark_rect().encode(
                x=alt.X("criterion:N"), y=alt.Y("trainee:N"),
                color=alt.Color("average_level:Q", scale=alt.Scale(domain=[0, 3], scheme="redyellowgreen")),
                tooltip=["trainee", "criterion", "average_level"]), heat, "team-heatmap")
            st.markdown("**Weakest criteria**")
            st.dataframe(pd.DataFrame(view.weakest).head(5), hide_index=True)
            by_persona = pd.DataFrame(view.by_persona)
            chart_with_data(alt.Chart(by_persona).mark_bar().encode(
                x=alt.X("persona:N"), y=alt.Y("average_score:Q", scale=alt.Scale(domain=[0, 100])),
                color="difficulty:N", xOffset="difficulty:N", tooltip=["persona", "difficulty", "average_score", "n"]),
                by_persona, "score-by-customer")
