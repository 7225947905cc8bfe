"""Campaigns (admins / HR): create, open and close certification campaigns; follow each one and export it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from grading.rubric import load_rubric
from services import DIFFICULTIES, PracticeError
from services.certification import certificate_file_name
from ui.context import app_services, chat_ui, local_address, or_stop, plain, require_actor

services = app_services()
actor = require_actor()
cert = services.certification
st.title("Certification campaigns")
if chat_ui().done:  # what the last action did, shown after the rerun that collapsed its form
    st.success(chat_ui().done or "", icon=":material/task_alt:")
    chat_ui().done = None
accounts, teams, campaigns = or_stop(lambda: (services.accounts.accounts(actor), services.teams.names(actor),
                                             cert.campaigns(actor)))

with st.expander("Create a campaign", expanded=not campaigns):
    personas = services.practice.personas()
    options = [f"{p.slug} · {d}" for p in personas for d in DIFFICULTIES]
    trainees = sorted(a.username for a in accounts if a.role == "trainee" and not a.disabled)
    criteria = [c.id for c in load_rubric().criteria]
    titles = {c.id: c.name for c in load_rubric().criteria}
    today = datetime.now(UTC).date()
    with st.form("create-campaign"):
        name = st.text_input("Name", max_chars=120)
        persona_titles = {p.slug: p.title for p in personas}
        chosen = st.multiselect("Scenarios (customer · difficulty)", options,
                                format_func=lambda o: f"{persona_titles.get(o.split(' · ')[0], o)} · "
                                                      f"{o.split(' · ')[-1]}")
        draw = st.number_input("Draw this many scenarios per attempt (0: all, in order)", min_value=0, max_value=20,
                               value=0)
        left, right = st.columns(2)
        pass_mark = left.slider("Pass mark", 0, 100, 70)
        margin = right.slider("Borderline margin (results this close to the pass mark go to review)", 0, 30, 5,
                              help="A score this many points or fewer from the pass mark, on either side, is not "
                                   "decided at once: it waits on Certification review for a person to pass or fail "
                                   "it. E.g. pass mark 70 and margin 5: scores 65 to 75 go to review, 64 fails and 76 "
                                   "passes at once. 0 sends only a score exactly at the pass mark.")
        minimum_criteria = left.multiselect("Criteria with a minimum level", criteria,
                                            format_func=lambda cid: titles.get(cid, cid),
                                            help="Besides the pass mark, each criterion chosen here must reach the "
                                                 "'Minimum average level' beside it, on average over the attempt's "
                                                 "chats, or the attempt fails whatever its score; one that never "
                                                 "applied counts as missed. E.g. 'A sincere apology' with minimum 2: "
                                                 "an attempt scoring 85 whose apologies average 1.5 is not passed.")
        minimum = right.number_input("Minimum average level for those (0-3)", min_value=0, max_value=3, value=2,
                                     help="The average level (0-3, as on the report) each chosen criterion needs "
                                          "over the attempt's chats. E.g. 2: levels 2 and 3 average 2.5, met; 1 and "
                                          "2 average 1.5, missed.")
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
                st.error(plain(str(exc)))
            else:
                chat_ui().done = f"Created '{plain(created.name)}' as a draft: open it below when it is ready."
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
titles_of = {p.slug: p.title for p in services.practice.personas()}
scenarios = ", ".join(f"{titles_of.get(slug, slug)} ({difficulty})" for slug, difficulty, _ in picked.scenarios)
st.caption(f"Scenarios: {plain(scenarios)}" + (f" · {picked.draw_count} drawn per attempt" if picked.draw_count
                                                else "") +
           f" · trainees: {plain(', '.join(picked.assigned_trainees) or '–')} · teams: "
           f"{plain(', '.join(picked.assigned_teams) or '–')}"
           + (f" · rubric frozen when opened (fingerprint {picked.rubric_version[:8]})" if picked.rubric_version
              else ""))
if picked.status == "draft" and st.button("Open the campaign (freezes persona and rubric versions)",
                                          type="primary"):
    cert.open_campaign(actor, picked.id)
    st.rerun()
if picked.status == "open" and st.button("Close the campaign"):
    cert.close_campaign(actor, picked.id)
    st.rerun()

cert.expire_overdue(actor, picked.id)  # attempts left past their deadline end before HR's figures are read
report = cert.report(actor, picked.id)
figures: list[tuple[str, int | str]] = [
    ("Assigned", report.assigned), ("Started", report.started), ("Completed", report.completed),
    ("Passed", report.passed), ("Pass rate", report.pass_rate_label), ("Awaiting review", report.awaiting_review)]
for col, (label, value) in zip(st.columns(6), figures, strict=True):
    col.metric(label, value)
if report.awaiting_review:
    st.page_link("pages/cert_review.py", label="Open the review queue", icon=":material/rule:")
if report.weak_spots:
    st.markdown("**Criteria across this campaign's graded chats, weakest first**")
    weak = pd.DataFrame([{"criterion": w.title, "average_level": w.average_level, "graded": w.graded}
                         for w in report.weak_spots])
    st.altair_chart(alt.Chart(weak).mark_bar().encode(
        x=alt.X("average_level:Q", scale=alt.Scale(domain=[0, 3]), title="average level (0-3)"),
        y=alt.Y("criterion:N", sort="x"), tooltip=["criterion", "average_level", "graded"]),
        width="stretch")
OUTCOMES = {"pending": "being graded", "review": "awaiting review", "failed": "not passed"}


def score_cell(score: int | None, outcome: str) -> str:
    """A score, or why there is none yet: never a raw None."""
    if score is not None:
        return str(score)
    return "pending" if outcome in ("pending", "review") else "–"


st.dataframe(pd.DataFrame([{"trainee": r.trainee, "team": r.team or "–", "attempts": r.attempts, "status": r.status,
                            "outcome": OUTCOMES.get(r.outcome, r.outcome or "–"),
                            "best score": score_cell(r.best_score, r.outcome), "certificate": r.certificate or "–"}
                           for r in report.rows]), hide_index=True)
st.download_button("Export this campaign (CSV)", cert.report_csv(actor, picked.id),
                   file_name=f"campaign-{picked.id}.csv", mime="text/csv")
certified = [r for r in report.rows if r.certificate and r.certificate_attempt is not None]
if certified:
    st.markdown("**Certificates**")
    holder = st.selectbox("Trainee", certified, format_func=lambda r: f"{r.trainee} · {r.certificate}")
    refusal = cert.pdf_refusal()
    if refusal:  # production without PUBLIC_URL: no PDF, and why
        st.warning(plain(refusal), icon=":material/link_off:")
    elif holder is not None and holder.certificate and holder.certificate_attempt is not None:
        attempt_id = holder.certificate_attempt  # rendered only when the button is pressed
        st.download_button(f"Download {plain(holder.trainee)}'s certificate (PDF)",
                           lambda: cert.certificate_pdf(actor, attempt_id, local_url=local_address())[1],
                           file_name=certificate_file_name(holder.certificate), mime="application/pdf")
    if holder is not None and holder.certificate:
        st.caption(f"Verification code `{holder.certificate}`: anyone can check it on the Verify page.")
