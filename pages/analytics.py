"""Analytics: a trainee's trend, criterion profile and sessions per week; for staff, a team's heatmap and weak spots.
Every chart's data can be downloaded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

import altair as alt
import pandas as pd
import streamlit as st

from services import PracticeError
from services.export import csv_text
from ui.context import app_services, or_stop, plain, require_actor

services = app_services()
actor = require_actor()
st.title("Analytics")


def chart_with_data(chart: alt.Chart, data: pd.DataFrame, name: str) -> None:
    st.altair_chart(chart, width="stretch")
    st.download_button(f"Download {name} (CSV)", csv_text([str(c) for c in data.columns],
                                                          data.itertuples(index=False, name=None)),
                       file_name=f"{name}.csv",
                       mime="text/csv", key=f"dl-{name}")


def frame(rows: Sequence[object]) -> pd.DataFrame:
    return pd.DataFrame([asdict(r) for r in rows])  # type: ignore[call-overload]


trainee: str | None = actor.username
choices = or_stop(lambda: services.review.filter_choices(actor)) if actor.is_staff else None
if choices is not None:  # staff are not trainees: they choose one of the trainees they may see
    trainee = st.selectbox("Trainee", choices.trainees, help="The trainees you may see.") if choices.trainees else None
mine = or_stop(lambda: services.analytics.trainee(actor, trainee)) if trainee else None
if trainee:
    st.subheader(f"Trainee: {plain(trainee)}")
if mine is None:
    st.info("No trainees in your scope yet.")
elif not mine.trend:
    st.info("No graded practice chats yet.")
else:
    st.markdown("#### Score trend (practice chats)")
    trend = frame(mine.trend)
    chart_with_data(alt.Chart(trend).mark_line(point=alt.OverlayMarkDef(size=70)).encode(
        x=alt.X("seq:O", title="graded practice chat, oldest first", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("score:Q", scale=alt.Scale(domain=[0, 100])),
        tooltip=[alt.Tooltip("seq:O", title="#"), alt.Tooltip("chat:N", title="chat"),
                 alt.Tooltip("date:N", title="date"), alt.Tooltip("customer:N", title="customer"),
                 alt.Tooltip("score:Q", title="score"), alt.Tooltip("overridden:N", title="overridden by a trainer")]),
        trend, "score-trend")
    st.caption("Scores are the score of record: a trainer's override replaces the grader's score.")
    st.markdown("#### Criterion profile")
    profile = frame(mine.criteria)
    chart_with_data(alt.Chart(profile).mark_bar().encode(
        x=alt.X("average_level:Q", scale=alt.Scale(domain=[0, 3]), title="average level (0-3)"),
        y=alt.Y("title:N", sort="x", title=None, axis=alt.Axis(labelLimit=360)),
        tooltip=[alt.Tooltip("title:N", title="criterion"), "average_level", "graded"]), profile,
        "criterion-profile")
    st.markdown("#### Practice chats per week")
    weekly = frame(mine.per_week)
    chart_with_data(alt.Chart(weekly).mark_bar(size=36).encode(
        x=alt.X("week:N", axis=alt.Axis(labelAngle=0)), y=alt.Y("sessions:Q", title="chats")).properties(height=220),
        weekly, "sessions-per-week")

if choices is not None:
    st.subheader("Team")
    if not choices.teams:
        st.info("No teams in your scope yet.")
        st.stop()
    teams = list(choices.teams)
    team = st.selectbox("Team", teams, index=teams.index(actor.team) if actor.team in teams else 0)
    try:
        view = services.analytics.team(actor, team)
    except PracticeError as exc:
        st.error(plain(str(exc)))
        st.stop()
    if not view.heatmap:
        st.info("No graded practice chats in this team yet.")
    else:
        st.markdown("#### Average level per trainee and criterion")
        heat = frame(view.heatmap)
        chart_with_data(alt.Chart(heat).mark_rect().encode(
            y=alt.Y("title:N", title=None, axis=alt.Axis(labelLimit=360)),
            x=alt.X("trainee:N", axis=alt.Axis(labelAngle=0, orient="top")),
            color=alt.Color("average_level:Q", scale=alt.Scale(domain=[0, 3], scheme="redyellowgreen"),
                            title="average level"),
            tooltip=["trainee", alt.Tooltip("title:N", title="criterion"), "average_level"]), heat, "team-heatmap")
        st.markdown("**Weakest criteria**")
        weakest = frame(view.weakest).head(5)[["title", "average_level", "graded"]]
        st.dataframe(weakest.rename(columns={"title": "criterion", "average_level": "average level (0-3)"}),
                     hide_index=True)
        st.markdown("#### Average score by customer and difficulty")
        by_persona = frame(view.by_persona)
        chart_with_data(alt.Chart(by_persona).mark_bar().encode(
            y=alt.Y("title:N", title=None, axis=alt.Axis(labelLimit=420)),
            x=alt.X("average_score:Q", scale=alt.Scale(domain=[0, 100]), title="average score"),
            color="difficulty:N", yOffset="difficulty:N",
            tooltip=[alt.Tooltip("title:N", title="customer"), "difficulty", "average_score", "n"]),
            by_persona, "score-by-customer")
