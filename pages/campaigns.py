"""Campaigns (admins / HR): create, open and close certification campaigns; follow each one and export it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from grading.rubric import load_rubric
from services import DIFFICULTIES, PracticeError
from ui.context import app_services, or_stop, plain, require_actor

services = app_services()
actor = require_actor()
cert = services.certification
st.title("Certification campaigns")
accounts, campaigns = or_stop(lambda: (services.auth.users(actor), cert.campaigns(actor)))

with st.expander("Create a campaign", expanded=not campaigns):
    personas = services.practice.personas()
    options = [f"{p.slug} · {d}" for p in personas for d in DIFFICULTIES]
    trainees = sorted(a.username for a in accounts if a.role == "trainee")
    teams = sorted({a.team for a in accounts if a.team})
    criteria = [c.id for c in load_rubric().criteria]
    today = datetime.now(UTC).date()
    with st.form("create-campaign"):
        name = st.text_input("Name", max_chars=120)
        chosen = st.multiselect("Scenarios (customer · difficulty)", options)
        draw = st.number_input("Draw this many scenarios per attempt (0: all, in order)", min_value=0, max_value=20,
                               value=0)
        left, right = st.columns(2)
        pass_mark = left.slider("Pass mark", 0, 100, 70)
        margin = right.slider("Borderline margin (results this close to the pass mark go to review)", 0, 30, 5)
        minimum_criteria = left.multiselect("Criteria with a minimum level", criteria)
        minimum = right.number_input("Minimum average level for those (0-3)", min_value=0, max_value=3, value=2)
        attempts = left.number_input("Attempts allowed", min_value=1, max_value=10, value=1)
        limit = right.number_input("Time limit per attempt (minutes)", min_value=5, max_value=480, value=30)
        opens = left.date_input("Opens", value=today)
        closes = right.date_input("Closes (end of day, UTC)", value=today + timedelta(days=14))
        assigned = left.multiselect("Trainees", trainees)
        assigned_teams = right.multiselect("Teams", teams)
        hide = st.checkbox("Hide live aids (frustration meter) during attempts", value=True)
        if st.form_submit_button("Create as draft", type="primary"):
            spec = {"name": name, "scenarios": [tuple(o.split(" · ")) for o in chosen],
                    "draw_count": int(draw) or None, "pass_mark": pass_mark, "review_margin": margin,
                    "criterion_minimums": {c: int(minimum) for c in minimum_criteria},
                    "attempts_allowed": int(attempts), "time_limit_minutes": int(limit),
                    "opens_at": datetime.combine(opens, time.min), "closes_at": datetime.combine(closes, time.max),
                    "trainees": assigned, "teams": assigned_teams, "hide_aids": hide}
            try:
                created = cert.create_campaign(actor, spec)
            except PracticeError as exc:
                st.error(str(exc))
            else:
                st.success(f"Created '{created.name}' as a draft: open it below when it is ready.")
                st.rerun()

if not campaigns:
    st.info("No campaigns yet.")
    st.stop()
table = pd.DataFrame([{"id": c.id, "name": c.name, "status": c.status, "scenarios": len(c.scenarios),
                       "pass mark": c.pass_mark, "attempts": c.attempts_allowed, "minutes": c.time_limit_minutes,
                       "opens": c.opens_at.strftime("%Y-%m-%d"), "closes": c.closes_at.strftime("%Y-%m-%d")}
                      for c in campaigns])
st.dataframe(table, hide_index=True)
picked = st.selectbox("Campaign", campaigns, format_func=lambda c: f"{c.name} ({c.status})")
if picked is None:
    st.stop()
scenarios = ", ".join(f"{slug} ({difficulty})" for slug, difficulty, _ in picked.scenarios)
st.caption(f"Scenarios: {plain(scenarios)}" + (f" · {picked.draw_count} drawn per attempt" if picked.draw_count
                                                else "") +
           f" · trainees: {plain(', '.join(picked.assigned_trainees) or '–')} · teams: "
           f"{plain(', '.join(picked.assigned_teams) or '–')}"
           + (f" · frozen rubric {picked.rubric_version}" if picked.rubric_version else ""))
if picked.status == "draft" and st.button("Open the campaign (freezes persona and rubric versions)",
                                          type="primary"):
    cert.open_campaign(actor, picked.id)
    st.rerun()
if picked.status == "open" and st.button("Close the campaign"):
    cert.close_campaign(actor, picked.id)
    st.rerun()

report = cert.report(actor, picked.id)
figures: list[tuple[str, int | str]] = [
    ("Assigned", report.assigned), ("Started", report.started), ("Completed", report.completed),
    ("Passed", report.passed), ("Pass rate", f"{report.pass_rate:.0%}" if report.pass_rate is not None else "–"),
    ("Awaiting review", report.awaiting_review)]
for col, (label, value) in zip(st.columns(6), figures, strict=True):
    col.metric(label, value)
if report.awaiting_review:
    st.page_link("pages/cert_review.py", label="Open the review queue", icon=":material/rule:")
if report.weak_spots:
    st.markdown("**Criteria across this campaign's graded chats, weakest first**")
    weak = pd.DataFrame(report.weak_spots)
    st.altair_chart(alt.Chart(weak).mark_bar().encode(
        x=alt.X("average_level:Q", scale=alt.Scale(domain=[0, 3]), title="average level (0-3)"),
        y=alt.Y("criterion:N", sort="x"), tooltip=["criterion", "average_level", "graded"]),
        use_container_width=True)
st.dataframe(pd.DataFrame(report.rows), hide_index=True,
             column_config={"best_score": st.column_config.NumberColumn("best score")})
st.download_button("Export this campaign (CSV)", cert.report_csv(actor, picked.id),
                   file_name=f"campaign-{picked.id}.csv", mime="text/csv")
