"""Certification review (trainers, HR and admins): borderline and flagged results, and trainees' disputes (trainers'
and admins'), wait here for a person."""

from __future__ import annotations

import streamlit as st

from services import AccessDenied, DisputeView, PracticeError
from ui.context import app_services, chat_ui, or_stop, plain, require_actor
from ui.disputes import dispute_card

services = app_services()
actor = require_actor()
ui = chat_ui()
cert = services.certification
st.title("Certification review")
if ui.done:
    st.success(ui.done, icon=":material/task_alt:")
    ui.done = None
or_stop(lambda: cert.expire_overdue(actor))  # attempts left past their deadline end before the queue is listed
queue = or_stop(lambda: cert.review_queue(actor))


def open_disputes() -> list[DisputeView]:
    """Trainees' disputes about criterion levels: trainers' and admins' to decide (HR reviews results only)."""
    try:
        return services.disputes.queue(actor, certification=True)  # every dispute: Review, Disputes tab
    except AccessDenied:
        return []


disputes = or_stop(open_disputes)
if not queue and not disputes:
    st.info("Nothing is waiting for review.")


def shown(score: int | None) -> str:
    return "–" if score is None else str(score)


for attempt in queue:
    with st.container(border=True):
        st.markdown(f"**{plain(attempt.trainee)}** · {plain(attempt.campaign)} · attempt {attempt.number} · "
                    f"score **{shown(attempt.score)}** (deterministic {shown(attempt.deterministic_score)}, judge "
                    f"{attempt.judge_score if attempt.judge_score is not None else 'not used'})")
        for reason in attempt.review_reasons:
            st.caption(f"Why it is here: {plain(reason)}")
        st.caption("Rule: " + plain(attempt.rule or ""))
        if attempt.trust_note:
            st.caption(plain(attempt.trust_note))
        for position, session_id in enumerate(attempt.session_ids, 1):
            st.page_link("pages/report.py", label=f"Scenario {position}: transcript and grade",
                         query_params={"session": str(session_id)}, icon=":material/grading:")
        with st.form(f"review-{attempt.id}"):
            outcome = st.radio("Outcome", ["passed", "failed"], horizontal=True, key=f"o-{attempt.id}")
            reason = st.text_area("Reason (shown with the result)", max_chars=2000, key=f"r-{attempt.id}")
            if cert.confirms_levels(actor):  # a trainer's decision is also their judgement of the grader
                st.caption("Recording the decision also confirms each chat's criterion levels as they stand (they "
                           "count towards the grader's measured agreement): override a level on the chat's report "
                           "first if you disagree with it.")
            if st.form_submit_button("Record the decision", type="primary"):
                ui.confirming = f"review-{attempt.id}"
        if ui.confirming == f"review-{attempt.id}":  # a second click: the decision is final and shown to the trainee
            st.warning(f"Record **{outcome}** for {plain(attempt.trainee)}'s attempt {attempt.number}? The "
                       "trainee sees it with your reason"
                       + (", and a certificate is issued." if outcome == "passed" else "."), icon=":material/help:")
            yes, no = st.columns(2)
            if yes.button("Yes, record it", type="primary", key=f"yes-{attempt.id}", width="stretch"):
                ui.confirming = None
                try:
                    done = cert.review(actor, attempt.id, outcome=str(outcome), reason=reason)
                except PracticeError as exc:
                    st.error(plain(str(exc)))
                else:
                    ui.done = (f"Recorded: {plain(done.trainee)}'s attempt {done.number} of {plain(done.campaign)} is "
                               f"{'passed' if done.outcome == 'passed' else 'not passed'}"
                               + (f"; certificate {done.certificate} issued." if done.certificate else "."))
                    st.rerun()
            if no.button("Cancel", key=f"no-{attempt.id}", width="stretch"):
                ui.confirming = None
                st.rerun()


if disputes:
    st.subheader(f"Trainees' disputes on certification chats ({len(disputes)})")
    st.caption("Disputes on practice chats, and these too, are on the Review page's *Disputes* tab.")
for dispute in disputes:
    dispute_card(actor, dispute)
