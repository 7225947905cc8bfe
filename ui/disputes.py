"""A trainee's open dispute as trainers see and decide it: the Review page's Disputes tab, and Certification review
for certification chats. Values in, elements out; the decision is :meth:`services.disputes.DisputeService.decide`'s."""

from __future__ import annotations

import streamlit as st

from grading.rubric import MAX_LEVEL
from services import Actor, DisputeView, PracticeError
from ui.context import app_services, chat_ui, plain

UPHOLD, REJECT = "Uphold (change the level)", "Reject (the level stands)"


def _level(level: int | None) -> str:
    return "not applicable" if level is None else f"{level}/{MAX_LEVEL}"


def dispute_card(actor: Actor, dispute: DisputeView) -> None:
    """The dispute (who, which chat and criterion, the level now and the one asked for, the reason) and the form
    that decides it; upholding offers the level the trainee asked for. A decision is said once at the top of the
    page (``ChatUI.done``)."""
    with st.container(border=True):
        asked = "names no level" if dispute.requested_level is None else f"asks for {_level(dispute.requested_level)}"
        st.markdown(f"**{plain(dispute.trainee)}** disputes **{plain(dispute.criterion)}**: now "
                    f"{_level(dispute.level_now)}, {asked}.  \n“{plain(dispute.reason)}”")
        kind = "certification chat" if dispute.certification else "practice chat"
        st.caption(plain(f"Chat #{dispute.session_id} · {dispute.persona} · {kind} · opened "
                         f"{dispute.created_at:%Y-%m-%d %H:%M}"))
        st.page_link("pages/report.py", label=f"Chat #{dispute.session_id}: transcript and grade",
                     query_params={"session": str(dispute.session_id)}, icon=":material/grading:")
        with st.form(f"dispute-{dispute.id}"):
            decision = st.radio("Decision", [UPHOLD, REJECT], horizontal=True, key=f"d-{dispute.id}")
            level = st.selectbox("New level (when upholding)", range(MAX_LEVEL + 1), index=dispute.uphold_level,
                                 format_func=_level, key=f"l-{dispute.id}")
            why = st.text_area("Reason (the trainee sees it)", max_chars=2000, key=f"w-{dispute.id}")
            if st.form_submit_button("Decide the dispute", type="primary"):
                uphold = decision == UPHOLD
                try:
                    decided = app_services().disputes.decide(actor, dispute.id, uphold=uphold, reason=why,
                                                             level=int(level) if uphold else None)
                except PracticeError as exc:
                    st.error(plain(str(exc)))
                else:
                    chat_ui().done = plain(f"Dispute #{decided.id} {decided.status}: {decided.criterion} on chat "
                                           f"#{decided.session_id}.")
                    st.rerun()
