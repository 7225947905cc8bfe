"""Trainers' transcript browser: filter, sort, page through, open and export transcripts."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from services import DIFFICULTIES, SORTS, ReviewFilters
from ui.context import app_services, or_stop, require_actor

services = app_services()
actor = require_actor()
st.title("Review transcripts")
cards = {c.slug: c.title for c in services.practice.personas()}
with st.form("filters"):
    a, b, c = st.columns(3)
    trainee = a.text_input("Trainee (username)", max_chars=40).strip().lower()
    team = b.text_input("Team", max_chars=60).strip()
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
    trainee=trainee or None, team=team or None, personas=tuple(personas),
    difficulty=None if difficulty == "any" else difficulty, mode=None if mode == "any" else mode,
    started_from=start, started_to=end,
    score_min=scores[0] if scores != (0, 100) else None, score_max=scores[1] if scores != (0, 100) else None,
    flagged=flagged, exemplars=exemplars, sort=sort,
)
result = or_stop(lambda: services.review.browse(actor, filters, page=int(page_number), size=int(size)))
pages = max(1, -(-result.total // result.size))
st.caption(f"{result.total:,} transcripts match · page {result.page} of {pages}")
table = [{"chat": r.session_id, "trainee": r.trainee, "team": r.team or "", "customer": cards.get(r.persona, r.persona),
          "difficulty": r.difficulty, "mode": r.mode, "started": r.started_at.strftime("%Y-%m-%d %H:%M"),
          "score": r.overall, "passed": r.passed, "flags": r.flags, "grade": r.grade_status or "",
          "exemplar": r.exemplar}
         for r in result.rows]
selection = st.dataframe(table, hide_index=True, use_container_width=True, on_select="rerun",
                         selection_mode="multi-row", key="review-table")
chosen = [result.rows[i].session_id for i in selection.selection.rows] if table else []
left, mid, right = st.columns(3)
if len(chosen) == 1 and left.button("Open the selected transcript", type="primary", use_container_width=True):
    st.switch_page("pages/report.py", query_params={"session": str(chosen[0])})
if chosen:
    mid.download_button("Export selected as CSV", services.review.export(actor, chosen, "csv"),
                        file_name="transcripts.csv", mime="text/csv", use_container_width=True)
    right.download_button("Export selected as JSON", services.review.export(actor, chosen, "json"),
                          file_name="transcripts.json", mime="application/json", use_container_width=True)
else:
    st.caption("Select rows to open or export them.")
