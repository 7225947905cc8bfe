"""Certification review (trainers and admins): borderline and flagged results wait here for a person."""

from __future__ import annotations

import streamlit as st

from services import PracticeError
from ui.context import app_services, or_stop, plain, require_actor

services = app_services()
actor = require_actor()
cert = services.certification
st.title("Certification review")
queue = or_stop(lambda: cert.review_queue(actor))
if not queue:
    st.success("Nothing is waiting for review.")
for attempt in queue:
    with st.container(border=True):
        st.markdown(f"**{plain(attempt.trainee)}** · {plain(attempt.campaign)} · attempt {attempt.number} · "
                    f"score **{attempt.score}** (deterministic {attempt.deterministic_score}, judge "
                    f"{attempt.judge_score if attempt.judge_score is not None else 'not used'})")
        for reason in attempt.review_reasons:
            st.caption(f"Why it is here: {plain(reason)}")
        st.caption("Rule: " + plain(attempt.rule or ""))
        for position, session_id in enumerate(attempt.session_ids, 1):
            st.page_link("pages/report.py", label=f"Scenario {position}: transcript and grade",
                         query_params={"session": str(session_id)}, icon=":material/grading:")
        with st.form(f"review-{attempt.id}"):
            outcome = st.radio("Outcome", ["passed", "failed"], horizontal=True, key=f"o-{attempt.id}")
            reason = st.text_area("Reason (shown with the result)", max_chars=2000, key=f"r-{attempt.id}")
            if st.form_submit_button("Record the decision", type="primary"):
                try:
                    cert.review(actor, attempt.id, outcome=str(outcome), reason=reason)
                except PracticeError as exc:
                    st.error(str(exc))
                else:
                    st.rerun()
