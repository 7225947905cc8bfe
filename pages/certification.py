"""Certification (trainees): assigned campaigns, one attempt at a time with a timer and no feedback, then the
result and the certificate. The service decides and enforces everything; this page renders."""

from __future__ import annotations

import streamlit as st

from services import AccessDenied, PracticeError
from services.certification import AttemptView, CheckIn, certificate_file_name
from ui.context import app_services, chat_ui, local_address, or_stop, plain, require_actor
from ui.widgets import AVATARS, frustration_bar, mood, pin_to_top, stream_reply, transcript

services = app_services()
actor = require_actor()
ui = chat_ui()
cert = services.certification
grace = cert.settings.attempt_reconnect_grace_seconds
st.title("Certification")
if ui.notice:  # plain text (a service's message)
    st.warning(plain(ui.notice))
    ui.notice = None
if ui.done:  # Markdown, its parts made plain where it was said
    st.success(ui.done)
    ui.done = None


@st.fragment(run_every=1)
def timer(view: AttemptView) -> None:
    """The clock, and this browser session's heartbeat: it keeps the attempt held here across short gaps."""
    left = view.seconds_left()
    st.metric("Time left", f"{left // 60:02d}:{left % 60:02d}")
    try:
        held = cert.heartbeat(actor, view.id, holder=ui.holder)
    except PracticeError:  # the database is busy: the next second checks in again
        return
    if left == 0 or not held:
        st.rerun()  # the whole page: the time is up, or another window took the attempt over


def confirm(key: str, question: str, yes: str, no: str) -> bool:
    """A second click for what cannot be undone: True once the trainee confirms ``question``."""
    if ui.confirming != key:
        return False
    with st.container(border=True):
        st.warning(question, icon=":material/help:")
        left, right = st.columns(2)
        if left.button(yes, type="primary", key=f"{key}-yes", width="stretch"):
            ui.confirming = None
            return True
        if right.button(no, key=f"{key}-no", width="stretch"):
            ui.confirming = None
            st.rerun()
    return False


def result(view: AttemptView) -> None:
    st.subheader(f"{plain(view.campaign)}: attempt {view.number}")
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
    if view.trust_note:  # why a person did or did not need to look, in criterion names
        st.caption(plain(view.trust_note))
    for review in view.reviews:
        st.info(f"{plain(review.by)} set the outcome to **{review.outcome}** on {review.at:%Y-%m-%d %H:%M}: "
                f"{plain(review.reason)}", icon=":material/verified_user:")
    refusal = cert.pdf_refusal() if view.certificate else None
    if view.certificate and refusal:  # production without PUBLIC_URL: no PDF, and why
        st.warning(plain(refusal), icon=":material/link_off:")
    elif view.certificate:
        attempt_id = view.id  # rendered only when the button is pressed, not on every rerun of this page
        st.download_button("Download your certificate (PDF)", lambda: cert.certificate_pdf(actor, attempt_id,
                                                                                     local_url=local_address())[1],
                           file_name=certificate_file_name(view.certificate), mime="application/pdf",
                           type="primary")
    if view.certificate:
        st.caption(f"Verification code: `{view.certificate}`")
    for position, session_id in enumerate(view.session_ids if not ui.attempt_locked else (), 1):
        st.page_link("pages/report.py", label=f"Scenario {position}: report", query_params={"session": str(session_id)},
                     icon=":material/grading:")
    if st.button("Back to my campaigns"):
        ui.attempt_id = None
        st.rerun()


def advance(view: AttemptView) -> None:
    """Next scenario, or finish and grade the attempt after the last one."""
    try:
        after = cert.next_scenario(actor, view.id, holder=ui.holder)
    except PracticeError as exc:
        ui.notice = str(exc)
    else:
        if not after.active:
            ui.done = (f"You finished attempt {after.number} of {plain(after.campaign)}: it is graded"
                       + ("; a reviewer confirms the result." if after.outcome in ("review", "pending")
                          else "; the result is below."))
    st.rerun()


def elsewhere(check: CheckIn) -> None:
    """Another window or tab holds the attempt: this one shows why it stopped, and can take the attempt back."""
    view = check.view
    st.subheader(f"{plain(view.campaign)} · scenario {view.position + 1} of {view.scenarios}")
    st.warning(check.notice or "", icon=":material/tab_move:")
    if st.button("Continue the attempt here", type="primary"):
        taken = cert.check_in(actor, view.id, holder=ui.holder, take_over=True)
        ui.notice = taken.notice if taken.kind != "resumed" else None
        st.rerun()


def running(view: AttemptView) -> None:
    head, clock = st.columns([3, 1])
    head.subheader(f"{plain(view.campaign)} · scenario {view.position + 1} of {view.scenarios}")
    head.caption(f"No feedback until the attempt ends. After a reload or a lost connection the attempt resumes if "
                 f"you are back within {grace} seconds (the clock keeps running); after that it counts as "
                 "abandoned. Only one window can drive it.")
    with clock:
        timer(view)
    chat = services.practice.get(actor, view.session_id or 0)
    st.markdown(f"**{plain(chat.persona_name)}** · {plain(chat.persona_title)} · {chat.difficulty}")
    if not view.hide_aids:  # the practice chat's meter, pinned: a plain bar here scrolled away as the chat grew
        pin_to_top("attempt-meter")
        with st.container(key="attempt-meter"):
            customers = [(p.name, p.frustration) for p in chat.parties] or [("Customer", chat.frustration)]
            for name, frustration in customers:
                frustration_bar(frustration, *mood(frustration), who=name)
            feeling, colour = mood(max(f for _, f in customers))
            st.badge(feeling, color=colour)  # type: ignore[arg-type]  # and it keeps the bar inside the pinned strip
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
                 width="stretch", help=None if answered else "Answer the customer at least once first"):
        if last:
            ui.confirming = f"finish-{view.id}"
        else:
            advance(view)
    if stop.button("Abandon the attempt", width="stretch"):
        ui.confirming = f"abandon-{view.id}"
    if confirm(f"finish-{view.id}", "Finish the attempt now? Your answers are graded as they are and cannot be "
               "changed afterwards.", "Yes, finish and grade it", "No, keep going"):
        advance(view)
    if confirm(f"abandon-{view.id}", f"Abandon attempt {view.number}? It counts as not passed and uses up this "
               "attempt.", "Yes, abandon it", "No, keep going"):
        try:
            cert.abandon(actor, view.id, holder=ui.holder)
            ui.done = f"You abandoned attempt {view.number} of {plain(view.campaign)}: it counts as not passed."
        except PracticeError as exc:
            ui.notice = str(exc)
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


take_over = False
if actor.role == "trainee":
    running_now = or_stop(lambda: cert.running_attempt(actor))
    if running_now is not None and ui.attempt_id != running_now.id:  # back after a reload, or a new tab
        ui.attempt_id, take_over, ui.confirming = running_now.id, True, None
if ui.attempt_id is not None:
    try:
        check = cert.check_in(actor, ui.attempt_id, holder=ui.holder, take_over=take_over)
    except (PracticeError, AccessDenied) as exc:
        st.error(plain(str(exc)))
        ui.attempt_id = None
        st.stop()
    current = check.view
    if check.changed or (not current.active and ui.attempt_locked):
        ui.notice = check.notice or ui.notice
        st.rerun()  # it has ended: every page comes back before the result links to the reports
    if check.kind == "resumed":
        st.info(check.notice or "", icon=":material/sync:")
    if check.kind == "elsewhere":
        elsewhere(check)
    elif current.active:
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
            outcome = {"pending": "being graded", "review": "awaiting review", "failed": "not passed"}.get(
                past.outcome, past.outcome)
            if st.button(f"Attempt {past.number}: {past.status}, {outcome}", key=f"past-{past.id}"):
                ui.attempt_id = past.id
                st.rerun()
        if campaign.attempts_used < campaign.attempts_allowed:
            st.caption(f"Once started, the timer runs. A reload or a lost connection resumes the attempt if you "
                       f"are back within {grace} seconds; leaving it for longer counts as abandoning it.")
            if st.button(f"Start attempt {campaign.attempts_used + 1}", key=f"start-{campaign.id}", type="primary"):
                try:
                    ui.attempt_id = cert.start_attempt(actor, campaign.id, holder=ui.holder).id
                except PracticeError as exc:
                    ui.notice = str(exc)
                st.rerun()
