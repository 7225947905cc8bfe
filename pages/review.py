"""Trainers' transcript browser: filter, sort, page through, open and export transcripts."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from services import DIFFICULTIES, SORTS, ReviewFilters
from services.scores import yes_no
from ui.context import app_services, or_stop, require_actor

services = app_services()
actor = require_actor()
st.title("Review transcripts")
cards = {c.slug: c.title for c in services.practice.personas()}
choices = or_stop(lambda: services.review.filter_choices(actor))
ANY = "any"
with st.form("filters"):
    a, b, c = st.columns(3)
    trainee = a.selectbox("Trainee", [ANY, *choices.trainees])
    team = b.selectbox("Team", [ANY, *choices.teams])
    personas = c.multiselect("Customer", list(cards), format_func=lambda s: cards[s])
    d, e, f = st.columns(3)
    difficulty = d.selectbox("Difficulty", ["any", *DIFFICULTIES])
    mode = e.selectbox("Mode", ["any", "practice", "certification"])
    sort = f.selectbox("Sort", SORTS)
    g, h, i = st.columns(3)
    dates = g.date_input("Started between", value=(date.today() - timedelta(days=90), date.today()))
    scores = h.slider("Score", 0, 100, (0, 100))
    flagged = i.checkbox("Flagged or needs review only")
    exemplars = i.checkbox("Exemplars only")
    size = i.selectbox("Rows per page", [25, 50, 100], index=1)
    st.form_submit_button("Apply filters")
page_number = st.number_input("Page", min_value=1, value=1, step=1)
start, end = (dates if isinstance(dates, tuple) and len(dates) == 2 else (None, None))
filters = ReviewFilters(
    trainee=None if trainee == ANY else trainee, team=None if team == ANY else team, personas=tuple(personas),
    difficulty=None if difficulty == "any" else difficulty, mode=None if mode == "any" else mode,
    started_from=start, started_to=end,
    score_min=scores[0] if scores != (0, 100) else None, score_max=scores[1] if scores != (0, 100) else None,
    flagged=flagged, exemplars=exemplars, sort=sort,
)
result = or_stop(lambda: services.review.browse(actor, filters, page=int(page_number), size=int(size)))
pages = max(1, -(-result.total // result.size))
st.caption(f"{result.total:,} transcripts match · page {result.page} of {pages}")
table = [{"chat": r.session_id, "trainee": r.trainee, "team": r.team or "—",
          "customer": cards.get(r.persona, r.persona).split(":")[0], "difficulty": r.difficulty, "mode": r.mode,
          "started": r.started_at.strftime("%Y-%m-%d %H:%M"), "score": r.score_label, "passed": yes_no(r.passed),
          "flags": r.flags, "grade": (r.grade_status or "not graded").replace("_", " "), "exemplar": r.exemplar}
         for r in result.rows]
selection = st.dataframe(table, hide_index=True, use_container_width=True, on_select="rerun",
                         selection_mode="multi-row", key="review-table")
chosen = [result.rows[i].session_id for i in selection.selection.rows] if table else []
if len(chosen) == 1 and st.button("Open the selected transcript", type="primary"):
    st.switch_page("pages/report.py", query_params={"session": str(chosen[0])})
left, mid, right = st.columns(3)
exported = chosen or [r.session_id for r in result.rows]
target = "selected" if chosen else "this page"
if exported:
    left.download_button(f"Export {target} as CSV (scores)", lambda: services.review.export(actor, exported, "scores"),
                        file_name="scores.csv", mime="text/csv", on_click="ignore", use_container_width=True,
                        help="One row per chat: score of record, pass, overridden, team, status, level per criterion")
    mid.download_button(f"Export {target} as CSV (messages)", lambda: services.review.export(actor, exported, "csv"),
                        file_name="transcripts.csv", mime="text/csv", on_click="ignore", use_container_width=True,
                        help="One row per message, each with its chat's score, pass, levels, team and status")
    right.download_button(f"Export {target} as JSON", lambda: services.review.export(actor, exported, "json"),
                          file_name="transcripts.json", mime="application/json", on_click="ignore",
                          use_container_width=True)
st.caption("Select a row to open it; select rows to export only those. Scores are the score of record: a "
           "trainer's override replaces the grader's score and is marked \"(overridden)\".")
