"""Trainers' review workspace: the transcript browser (filter, sort, page through, open and export transcripts; the
filters are kept for the browser session) and trainees' open disputes, decided here (``?show=Disputes``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import TypeVar

import streamlit as st

from services import DIFFICULTIES, SORTS, ReviewFilters
from services.scores import yes_no
from ui.context import ReviewState, app_services, chat_ui, or_stop, require_actor
from ui.disputes import dispute_card

T = TypeVar("T")
ANY = "any"
#: Wide enough for "100 (overridden)" in the table's font, so an override's mark is never cut off.
SCORE_WIDTH = 140

services = app_services()
actor = require_actor()
ui = chat_ui()
st.title("Review transcripts")
if ui.done:
    st.success(ui.done, icon=":material/task_alt:")
    ui.done = None
transcripts_tab, disputes_tab = st.tabs(["Transcripts", "Disputes"], key="show", bind="query-params")


def at(options: Sequence[T], value: T) -> int:
    """Where a kept filter value stands among a dropdown's options (the first option when it is no longer there)."""
    return list(options).index(value) if value in options else 0


def kept_filters() -> ReviewState:
    """The filters as the trainer last applied them in this browser session, or the page's defaults."""
    return ui.review or ReviewState(ReviewFilters(started_from=date.today() - timedelta(days=90),
                                                  started_to=date.today()))


def filters_form(kept: ReviewState, cards: dict[str, str]) -> ReviewState:
    """The filter form and the page number, starting from ``kept``; what they now say."""
    choices = or_stop(lambda: services.review.filter_choices(actor))
    was = kept.filters
    trainees, teams = [ANY, *choices.trainees], [ANY, *choices.teams]
    difficulties, modes, sizes = [ANY, *DIFFICULTIES], [ANY, "practice", "certification"], [25, 50, 100]
    with st.form("filters"):
        a, b, c = st.columns(3)
        trainee = a.selectbox("Trainee", trainees, index=at(trainees, was.trainee or ANY))
        team = b.selectbox("Team", teams, index=at(teams, was.team or ANY))
        personas = c.multiselect("Customer", list(cards), default=[p for p in was.personas if p in cards],
                                 format_func=lambda s: cards[s])
        d, e, f = st.columns(3)
        difficulty = d.selectbox("Difficulty", difficulties, index=at(difficulties, was.difficulty or ANY))
        mode = e.selectbox("Mode", modes, index=at(modes, was.mode or ANY))
        sort = f.selectbox("Sort", SORTS, index=at(SORTS, was.sort))
        g, h, i = st.columns(3)
        dates = g.date_input("Started between",  # both dates, or none (an empty range)
                             value=[day for day in (was.started_from, was.started_to) if day])
        scores = h.slider("Score", 0, 100, (was.score_min or 0, 100 if was.score_max is None else was.score_max))
        flagged = i.checkbox("Flagged or needs review only", value=was.flagged)
        exemplars = i.checkbox("Exemplars only", value=was.exemplars)
        size = i.selectbox("Rows per page", sizes, index=at(sizes, kept.size))
        st.form_submit_button("Apply filters")
    page_number = st.number_input("Page", min_value=1, value=kept.page, step=1)
    start, end = (dates if isinstance(dates, tuple) and len(dates) == 2 else (None, None))
    filters = ReviewFilters(
        trainee=None if trainee == ANY else trainee, team=None if team == ANY else team, personas=tuple(personas),
        difficulty=None if difficulty == ANY else difficulty, mode=None if mode == ANY else mode,
        started_from=start, started_to=end,
        score_min=scores[0] if scores != (0, 100) else None, score_max=scores[1] if scores != (0, 100) else None,
        flagged=flagged, exemplars=exemplars, sort=sort,
    )
    return ReviewState(filters, int(size), int(page_number))


def transcripts() -> None:
    cards = {c.slug: c.title for c in services.practice.personas()}
    ui.review = shown = filters_form(kept_filters(), cards)
    result = or_stop(lambda: services.review.browse(actor, shown.filters, page=shown.page, size=shown.size))
    pages = max(1, -(-result.total // result.size))
    st.caption(f"{result.total:,} transcripts match · page {result.page} of {pages}")
    table = [{"chat": r.session_id, "trainee": r.trainee, "team": r.team or "—",
              "customer": cards.get(r.persona, r.persona).split(":")[0], "difficulty": r.difficulty, "mode": r.mode,
              "started": r.started_at.strftime("%Y-%m-%d %H:%M"), "score": r.score_label,
              "passed": yes_no(r.passed), "flags": r.flags, "grade": (r.grade_status or "not graded").replace("_", " "),
              "exemplar": r.exemplar}
             for r in result.rows]
    selection = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun",
                             selection_mode="multi-row", key="review-table", column_config={
                                 "score": st.column_config.TextColumn("score", width=SCORE_WIDTH,
                                                                      help="The score of record (0-100)")})
    chosen = [result.rows[i].session_id for i in selection.selection.rows] if table else []
    if len(chosen) == 1 and st.button("Open the selected transcript", type="primary"):
        st.switch_page("pages/report.py", query_params={"session": str(chosen[0])})
    left, mid, right = st.columns(3)
    exported = chosen or [r.session_id for r in result.rows]
    target = "selected" if chosen else "this page"
    if exported:
        left.download_button(f"Export {target} as CSV (scores)",
                             lambda: services.review.export(actor, exported, "scores"), file_name="scores.csv",
                             mime="text/csv", on_click="ignore", width="stretch",
                             help="One row per chat: score of record, pass, overridden, team, status, level per "
                                  "criterion")
        mid.download_button(f"Export {target} as CSV (messages)",
                            lambda: services.review.export(actor, exported, "csv"), file_name="transcripts.csv",
                            mime="text/csv", on_click="ignore", width="stretch",
                            help="One row per message, each with its chat's score, pass, levels, team and status")
        right.download_button(f"Export {target} as JSON", lambda: services.review.export(actor, exported, "json"),
                              file_name="transcripts.json", mime="application/json", on_click="ignore",
                              width="stretch")
    st.caption("Select a row to open it; select rows to export only those. Scores are the score of record: a "
               "trainer's override replaces the grader's score and is marked \"(overridden)\".")


def disputes() -> None:
    waiting = or_stop(lambda: services.disputes.queue(actor))
    if not waiting:
        st.info("No open disputes. When a trainee disputes a criterion's level on their report, it waits here.")
        return
    st.caption(f"{len(waiting)} open {'dispute' if len(waiting) == 1 else 'disputes'}, oldest first. Upholding "
               "overrides the criterion's level with your reason; the trainee is told of your decision either way.")
    for dispute in waiting:
        dispute_card(actor, dispute)


# Only the open tab runs (switching tabs reruns the page).
if disputes_tab.open:
    with disputes_tab:
        disputes()
else:
    with transcripts_tab:
        transcripts()
