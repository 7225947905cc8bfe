"""Certification (trainees): assigned campaigns, one attempt at a time with a timer and no feedback, then the
result and the certificate. The service decides and enforces everything; this page renders."""

from __future__ import annotations

import streamlit as st

from services import AccessDenied, PracticeError
from services.certification import AttemptView, certificate_file_name
from ui.context import app_services, chat_ui, plain, require_actor
from ui.widgets import AVATARS, stream_reply, transcript

services = app_services()
actor = require_actor()
ui = chat_ui()
cert = services.certification
st.title("Certification")
if ui.notice:
    st.warning(ui.notice)
    ui.notice = None


@st.fragment(run_every=1)
def timer(view: AttemptView) -> None:
    left = view.seconds_left()
    st.metric("Time left", f"{left // 60:02d}:{left % 60:02d}")
    if left == 0:
        st.rerun()  # the whole page: the service ends the attempt


def result(view: AttemptView) -> None:
    st.subheader(f"{view.campaign}: attempt {view.number}")
    labels = {"passed": ("success", "Passed"), "failed": ("error", "Not passed"),
              "review": ("info", "Awaiting a reviewer's confirmation"), "pending": ("info", "Being graded")}
    kind, label = labels.get(view.outcome, ("info", view.outcome))
    status = {"completed": "completed", "abandoned": "abandoned (you left it)", "expired": "time ran out"}
    if view.outcome in ("review", "pending"):  # the result comes once a reviewer has confirmed it
        st.info(f"**{label}**. Attempt {status.get(view.status, view.status)}; your result appears here once it "
                "is confirmed.")
        if st.button("Back to my campaigns"):
            ui.attempt_id = None
            st.rerun()
        return
    getattr(st, kind)(f"**{label}** · score {view.score if view.score is not None else '–'} / 100 · "
                      f"attempt {status.get(view.status, view.status)}")
    if view.rule:
        st.caption("How the result was decided: " + plain(view.rule))
    cols = st.columns(2)
    cols[0].metric("Deterministic grade", view.deterministic_score if view.deterministic_score is not None else "–")
    cols[1].metric("Judge", view.judge_score if view.judge_score is not None else "not used")
    for reason in view.review_reasons:
        st.caption(f"Sent to review: {plain(reason)}")
    for review in view.reviews:
        st.info(f"{plain(review.by)} set the outcome to **{review.outcome}** on {review.at:%Y-%m-%d %H:%M}: "
                f"{plain(review.reason)}", icon=":material/verified_user:")
    if view.certificate:
        attempt_id = view.id  # rendered only when the button is pressed, not on every rerun of this page
        st.download_button("Download your certificate (PDF)", lambda: cert.certificate_pdf(actor, attempt_id)[1],
                           file_name=certificate_file_name(view.certificate), mime="application/pdf",
                           type="primary")
        st.caption(f"Verification code: `{view.certificate}`")
    for position, session_id in enumerate(view.session_ids, 1):
        st.page_link("pages/report.py", label=f"Scenario {position}: report", query_params={"session": str(session_id)},
                     icon=":material/grading:")
    if st.button("Back to my campaigns"):
        ui.attempt_id = None
        st.rerun()


def running(view: AttemptView) -> None:
    head, clock = st.columns([3, 1])
    head.subheader(f"{view.campaign} · scenario {view.position + 1} of {view.scenarios}")
    head.caption("No feedback until the attempt ends. Leaving this page, reloading or opening the attempt "
                 "elsewhere counts as abandoning it.")
    with clock:
        timer(view)
    chat = services.practice.get(actor, view.session_id or 0)
    st.markdown(f"**{plain(chat.persona_name)}** · {plain(chat.persona_title)} · {chat.difficulty}")
    if not view.hide_aids:
        st.progress(min(1.0, chat.frustration / 10), text=f"Customer frustration {chat.frustration:.1f}/10")
    transcript(chat.messages)
    answered = any(m.role == "agent" for m in chat.messages)
    last = view.position + 1 >= view.scenarios
    if not chat.active:
        st.info("The customer has ended this conversation.")
    elif chat.awaiting_reply and st.button("Retry the customer's reply"):
        turn = cert.retry(actor, view.id, holder=ui.holder)
        stream_reply(turn)
        st.rerun()
    go, stop = st.columns(2)
    if go.button("Finish the attempt" if last else "Next scenario", type="primary", disabled=not answered,
                 use_container_width=True, help=None if answered else "Answer the customer at least once first"):
        try:
            cert.next_scenario(actor, view.id, holder=ui.holder)
        except PracticeError as exc:
            ui.notice = str(exc)
        st.rerun()
    if stop.button("Abandon the attempt", use_container_width=True):
        cert.abandon(actor, view.id, holder=ui.holder)
        st.rerun()
    limit = services.practice.settings.max_message_chars
    text = st.chat_input(f"Reply to {chat.persona_name}", max_chars=limit,
                         disabled=not chat.active or chat.awaiting_reply)
    if text is not None:
        with st.chat_message("user", avatar=AVATARS["agent"]):
            st.markdown(plain(text))
        try:
            turn = cert.send(actor, view.id, text, holder=ui.holder)
            stream_reply(turn)
            if turn.error:
                ui.notice = turn.error
        except PracticeError as exc:
            ui.notice = str(exc)
        st.rerun()


if ui.attempt_id is not None:
    try:
        current = cert.attempt(actor, ui.attempt_id, holder=ui.holder)
    except (PracticeError, AccessDenied) as exc:
        st.error(str(exc))
        ui.attempt_id = None
        st.stop()
    if current.active:
        running(current)
    else:
        result(current)
    st.stop()

campaigns = cert.campaigns(actor)
if actor.role != "trainee":
    st.info("Campaigns are created and followed on the Campaigns page; trainees take them here.")
if not campaigns:
    st.info("No certification is assigned to you right now.")
for campaign in campaigns if actor.role == "trainee" else []:
    with st.container(border=True):
        st.markdown(f"**{plain(campaign.name)}**")
        scenario_count = campaign.draw_count or len(campaign.scenarios)
        st.caption(f"{scenario_count} scenario(s) · {campaign.time_limit_minutes} minutes · pass mark "
                   f"{campaign.pass_mark} · attempts used {campaign.attempts_used} of {campaign.attempts_allowed} · "
                   f"closes {campaign.closes_at:%Y-%m-%d %H:%M} UTC")
        for past in cert.my_attempts(actor, campaign.id):
            if st.button(f"Attempt {past.number}: {past.status}, {past.outcome}", key=f"past-{past.id}"):
                ui.attempt_id = past.id
                st.rerun()
        if campaign.attempts_used < campaign.attempts_allowed:
            st.caption("Once started, the timer runs. Leaving or reloading the page counts as abandoning the "
                       "attempt.")
            if st.button(f"Start attempt {campaign.attempts_used + 1}", key=f"start-{campaign.id}", type="primary"):
                try:
                    ui.attempt_id = cert.start_attempt(actor, campaign.id, holder=ui.holder).id
                except PracticeError as exc:
                    ui.notice = str(exc)
                st.rerun()
