"""The grade report for one chat: score, pass/fail, evidence per criterion, what to improve, a better line."""

from __future__ import annotations

import re

import streamlit as st

from grading.citations import readable
from grading.report import CriterionGrade, FlagKind
from services import PracticeError
from signals.text import shorten
from ui.context import app_services, chat_ui, id_param, plain, require_actor
from ui.widgets import evidence_origin, transcript

services = app_services()
actor = require_actor()  # first: it may send a fresh session through app.py's navigation
ui = chat_ui()
address = id_param("session")
session_id = address.value
if session_id is None:
    st.title("Report")
    if address.invalid:  # e.g. ?session=² or an id past the database's range: no query runs on it
        st.error(plain(address.not_found("chat")))
    else:
        st.info("Open a report from the chat or from *My progress*.")
    st.stop()
try:
    view = services.practice.get(actor, session_id)
    stored = services.grading.report_for(actor, session_id)
except PracticeError as exc:
    st.title("Report")
    st.error(plain(str(exc)))
    st.stop()
report = stored.report
own = view.trainee == actor.username
#: Grades cite transcript positions; people count turns as the chat page does: the trainee's messages.
agent_turn = {position: n for n, position in enumerate(
    (p for p, m in enumerate(view.messages, start=1) if m.role == "agent"), start=1)}


def turn_of(position: int) -> int | str:
    return agent_turn.get(position, "?")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def shown(text: str) -> str:
    """A grader's sentence for people: plain citations of the material, turns numbered as on the chat page."""
    def renumber(match: re.Match[str]) -> str:
        return match[1] + ", ".join(str(turn_of(int(n))) for n in match[2].split(", "))

    return readable(re.sub(r"\b(turns? )(\d+(?:, \d+)*)", renumber, text))


said = "you said" if own else "the trainee said"
st.title("Your report" if own else f"Report: {plain(view.trainee)}")
if own:
    try:
        seen = services.review.mark_comments_seen(actor, session_id)
    except PracticeError:  # e.g. the database is busy: the notice stays for next time, the report still shows
        seen = 0
    if seen:
        st.info(f"{seen} new {'comment' if seen == 1 else 'comments'} from your trainer on chat #{view.id}: "
                "they are under their turn in *The conversation* below.", icon=":material/comment:")
    try:
        decided = services.disputes.mark_decisions_seen(actor, session_id)
    except PracticeError:  # as above: the notice stays for next time
        decided = None
    if decided:
        st.info(plain(decided.notice) + " The decision is under its criterion in *Criteria* below.",
                icon=":material/gavel:")

st.subheader(f"{plain(' and '.join(p.name for p in view.parties) or view.persona_name)} · {plain(view.persona_title)}")
st.caption(f"Chat #{view.id} · {view.difficulty} · trainee: {plain(view.trainee)} · "
           f"graded {stored.created_at:%Y-%m-%d %H:%M}")
score, verdict, judge = st.columns(3)
overridden = report.overridden
score.metric("Overall" + (" (overridden)" if overridden else ""), f"{report.overall} / 100",
             help=f"Pass mark: {report.pass_mark}" + ("; a trainer changed at least one criterion, below"
                                                         if overridden else ""))
with verdict:
    if report.passed:
        st.badge("Passed", icon=":material/check_circle:", color="green")
    else:
        st.badge("Not passed", icon=":material/cancel:", color="red")
    st.caption(f"Pass mark {report.pass_mark}")
with judge:
    j = report.judge
    st.caption("Grader: deterministic evidence" + (f" + judge {plain(j.model)} ({j.status})" if j.model else ""))
    st.caption(plain(report.combining_rule))
if report.status == "needs_review":
    st.warning("This grade needs review: the judge model failed (" + plain(j.error or "unknown error") +
               "). The score shown is the deterministic evidence only.")
if report.read_by_fallback:
    st.warning("This grade was read by the regular-expression fallback (the sentence encoder did not load on the "
               "server), which misreads messages written in people's own words. Ask a trainer to look at it.")
for flag in report.flags:
    if flag.kind == FlagKind.POSSIBLE_CRITICAL:  # quoted and explained; it caps nothing
        st.info(plain(shown(flag.text)), icon=":material/help:")
    else:
        st.warning(plain(shown(flag.text)))

well, improve = st.columns(2)
with well:
    st.markdown("#### What went well")
    if not report.went_well:
        st.write("Nothing reached the top level yet.")
    for item in report.went_well:
        quote = f" — turn {turn_of(item.turn)}: “{plain(item.quote)}”" if item.quote and item.turn else ""
        st.markdown(f"- **{plain(item.name)}**{quote}")
with improve:
    st.markdown("#### Improve these first")
    if not report.improve_first:  # never a heading over nothing
        st.write("Nothing needs improving first: every criterion that applied reached the top level."
                 if any(c.level is not None for c in report.criteria) else
                 "Nothing to improve first: the conversation gave no criterion a chance to apply.")
    for step in report.improve_first:
        where = f", turn {turn_of(step.turn)}" if step.turn else ""
        level = f"{step.level}/3" + (" overridden" if step.overridden else "")
        st.markdown(f"- **{plain(step.name)}** ({level}{where}): {plain(step.aim)}  \n"
                    f"  e.g. “{plain(step.example)}”")

family = services.branches.family(actor, session_id)
if family:
    st.markdown("#### Other tries of this conversation")
    st.caption("Each try is a chat of its own, graded on its whole conversation; it left the chat it was taken "
               "from at the turn shown and went on with a different reply.")
    for member in family:
        score_text = "not graded yet" if member.overall is None else f"{member.overall}/100"
        if member.split_turn is None:
            where = "the original chat"
        else:
            where = (f"from turn {member.split_turn} of #{member.parent_id}: "
                     f"“{plain(shorten(member.reply or '(not written yet)', 70))}” instead of "
                     f"“{plain(shorten(member.replaced or '', 70))}”")
        label = f"Chat #{member.session_id} · {score_text} · {where}"
        if member.current:
            st.markdown(f"**{label} (this report)**")
        elif member.active:
            st.markdown(f"{label} · still running")
        else:
            st.page_link("pages/report.py", label=label, query_params={"session": str(member.session_id)},
                         icon=":material/alt_route:")

hints_used = services.hints.used(actor, session_id)
if hints_used:
    st.markdown(f"#### Hints {'you' if own else 'the trainee'} asked for ({len(hints_used)})")
    for h in hints_used:
        st.markdown(f"- **Turn {h.turn}** ({h.kind.replace('_', ' ')}): {plain(h.text)}  \n"
                    f"  :gray[From the workshop: {plain(h.source)}]")

better = report.better_line
if better:
    st.markdown("#### A better way to say it")
    st.markdown(f"**Turn {turn_of(better.turn or 0)}, {said}:** {plain(better.said)}")
    st.markdown(f"**Try:** {plain(better.better)}")
    st.caption({"judge": "Suggested by the judge model.",
                "coaching example": "From the example lines for this customer, closest to what was written."}.get(
        better.source, "From the rubric's examples."))

st.markdown("#### Frustration over the conversation")
opening = [view.messages[0].frustration] if view.messages and view.messages[0].role == "customer" else []
after_turns = [m.frustration for m in view.messages if m.role == "agent"]
st.line_chart({"turn": list(range(1 - len(opening), len(after_turns) + 1)), "frustration": opening + after_turns},
              x="turn", y="frustration", height=180)
st.caption("Frustration after each of the trainee's turns (turn 0: the customer's opening).")


def dispute_form(criterion: CriterionGrade) -> None:
    """Disputing is an action: a button below the evidence opens the form (one form open at a time)."""
    here = (view.id, criterion.id)
    if ui.disputing != here:
        if st.button("Dispute this grade", key=f"dispute-open-{criterion.id}", icon=":material/gavel:",
                     help="Ask a trainer to look at this level again, with the level you think is right and why"):
            ui.disputing = here
            st.rerun()
        return
    with st.form(f"dispute-{criterion.id}"):
        st.markdown("**Dispute this grade**")
        asked = st.selectbox("The level you think is right", range(4), index=None, placeholder="Choose a level",
                             format_func=lambda v: f"{v}/3", key=f"ask-{criterion.id}")
        why = st.text_area("Why is this level wrong?", max_chars=2000, key=f"why-{criterion.id}")
        send, cancel = st.columns(2)
        sent = send.form_submit_button("Send the dispute to a trainer", type="primary", width="stretch")
        dropped = cancel.form_submit_button("Cancel", width="stretch")
    if dropped:
        ui.disputing = None
        st.rerun()
    if sent:
        try:
            services.disputes.open(actor, view.id, criterion.id, why, level=asked)
        except PracticeError as exc:
            st.error(plain(str(exc)))
        else:
            ui.disputing, ui.dispute_sent = None, here  # the criterion stays open and says the dispute was sent
            st.rerun()


st.markdown("#### Criteria")
disputes = services.disputes.for_session(actor, session_id)
cited: set[int] = set()
for c in report.criteria:
    level = "not applicable" if c.level is None else f"{c.level}/3"
    if c.override:
        level += " (overridden)"
    sent_here = ui.dispute_sent == (view.id, c.id)
    with st.expander(f"{plain(c.name)} — {level}", expanded=ui.disputing == (view.id, c.id) or sent_here):
        if sent_here:
            ui.dispute_sent = None  # said once
            st.success("Your dispute was sent to a trainer. You will see their decision here and in the sidebar.",
                       icon=":material/send:")
        if c.level is None:
            st.caption("The conversation gave no opportunity for this; it does not count toward the score.")
        if c.override:
            o = c.override
            st.info(plain(f"Overridden by {o.by} from {o.original}/3 to {o.level}/3: {o.reason}"))
        for d in (d for d in disputes if d.criterion_id == c.id):
            (st.info if d.status == "open" else st.success if d.status == "upheld" else st.warning)(
                plain(f"Dispute: “{d.reason}” — {d.outcome}"), icon=":material/gavel:")
        if actor.is_staff and c.level is not None and st.button(
                f"Confirm {c.level}/3", key=f"confirm-{c.id}",
                help="You agree with this level: it counts towards the grader's measured agreement"):
            try:
                services.calibration.confirm(actor, session_id, c.id)
                st.toast(f"Confirmed {plain(c.name)} at {c.level}/3.")
            except PracticeError as exc:
                st.error(plain(str(exc)))
        if actor.is_staff:
            with st.form(f"override-{c.id}"):
                new_level = st.selectbox("Correct the level", [0, 1, 2, 3], index=c.level or 0, key=f"level-{c.id}")
                reason = st.text_input("Reason (required)", max_chars=2000, key=f"reason-{c.id}")
                if st.form_submit_button("Override"):
                    try:
                        services.grading.override(actor, session_id, criterion_id=c.id, level=new_level,
                                                  reason=reason)
                        st.rerun()
                    except PracticeError as exc:
                        st.error(plain(str(exc)))
        if c.judge_reason:
            st.caption("Judge: " + plain(c.judge_reason))
        if not c.evidence:
            st.caption("No quoted evidence.")
        elif c.override:  # the grader's ticks and crosses no longer decide this level: the override's mark instead
            graded = "not applicable" if c.override.original is None else f"{c.override.original}/3"
            st.caption(f"The grader's evidence for its {graded}; a trainer's override decides the level:")
        for e in c.evidence:
            if e.turn is not None:
                cited.add(e.turn)
            icon = ":material/edit:" if c.override else ":material/check:" if e.positive else ":material/close:"
            st.markdown(f"{icon} Turn {turn_of(e.turn or 0)}: “{plain(e.quote)}” — {plain(e.note)} "
                        f":gray[({evidence_origin(e)})]")
        if own and not actor.is_staff and not any(d.criterion_id == c.id and d.status == "open" for d in disputes):
            dispute_form(c)

comments = services.review.comments(actor, session_id)
with st.expander(f"The conversation ({_count(sum(len(v) for v in comments.values()), 'trainer comment')})",
                 expanded=bool(comments)):
    transcript(view.messages, numbered=True, marked=cited, comments=comments)
if actor.is_staff:
    with st.form("comment"):
        st.markdown("**Comment on a turn**")
        position = st.selectbox("Turn", list(agent_turn),
                                format_func=lambda p: f"Turn {agent_turn[p]}: {view.messages[p - 1].content[:80]}")
        body = st.text_area("Comment", max_chars=4000)
        if st.form_submit_button("Add comment"):
            try:
                services.review.comment(actor, session_id, turn=int(position or 1), body=body)
                st.rerun()
            except PracticeError as exc:
                st.error(plain(str(exc)))
    exemplar = st.toggle("Exemplar for the team", value=view.id in services.review.exemplar_ids(actor, [view.id]))
    if exemplar != (view.id in services.review.exemplar_ids(actor, [view.id])):
        services.review.mark_exemplar(actor, session_id, exemplar=exemplar)
        st.rerun()
if stored.judge_raw:
    with st.expander("Judge's raw output"):
        st.code(stored.judge_raw, language="json")

if not own:  # a trainer or admin reading someone's report: nothing to retry, their progress is not yours
    if actor.is_staff and st.button("Regrade", help="Grade again with the current rubric (adds a new grade)"):
        services.grading.grade_session(actor, session_id)
        st.rerun()
    st.stop()
again, history = st.columns(2)
if again.button("Try this customer again", type="primary", width="stretch"):
    turn = services.practice.start(actor, persona_slug=view.persona_slug, difficulty=view.difficulty)
    turn.finish()
    if turn.session is not None:
        ui.session_id = turn.session.id
        st.switch_page("pages/chat.py", query_params={"session": str(turn.session.id)})
if history.button("My progress", width="stretch"):
    st.switch_page("pages/history.py")
