"""Rubric authoring: a form and a YAML view of the rubric, a test of the draft on stored chats beside the published
version, versions (trainers and admins), publishing (admins; a trainer asks one to review the shared draft). The
services check, test, store and authorize."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from grading.rubric import PASS_MARK_BOUNDS, WEIGHT_BOUNDS
from services import PracticeError
from services.rubric_editor import MAX_YAML_CHARS, Sample
from ui.context import RubricEditorState, app_services, chat_ui, or_stop, plain, require_actor
from ui.widgets import measured

services = app_services()
actor = require_actor()
rubrics = services.rubrics
ui = chat_ui()
st.title("Rubric")
versions = or_stop(lambda: rubrics.versions(actor))
newest = versions[0]
playing = next((v for v in versions if v.in_play), newest)
if ui.notice:
    st.success(ui.notice)
    ui.notice = None
if ui.rubric is None:
    ui.rubric = RubricEditorState(or_stop(lambda: rubrics.draft(actor)) or rubrics.version_yaml(actor))
editor = ui.rubric


def number(value: object) -> float:
    """A form field's starting value: what the YAML holds when it is a finite number, else 0 (the check above
    already names the field's problem)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    clamped = float(min(max(value, -1e9), 1e9))  # a 5,000-digit integer would overflow a float
    return clamped if math.isfinite(clamped) else 0.0


def save(text: str) -> None:
    editor.replace(text)
    try:
        rubrics.save_draft(actor, text)
    except PracticeError as exc:
        st.error(str(exc))
        st.stop()


check = rubrics.check(actor, editor.text)
published_text = rubrics.version_yaml(actor)
unchanged = editor.text == published_text
who = "from grading/rubric.yaml" if playing.source == "file" else f"by {plain(playing.by)}"
for skipped in (v for v in versions if v.version > playing.version and v.problem):
    st.warning(f"Version {skipped.version} breaks a rule a rubric must follow, likely published before the rule "
               f"existed ({plain(skipped.problem or '')}): it is not used. New chats are graded with version "
               f"{playing.version} until an admin publishes a fixed version.", icon=":material/warning:")
st.caption(f"Published: version {playing.version} ({who}, {playing.created_at:%Y-%m-%d %H:%M}). "
           + ("You are looking at it." if unchanged else "You are editing a draft: trainees are graded with the "
              "published version until the draft is published."))
if check.rubric is None:
    st.error(f"{len(check.errors)} problem(s) to fix before testing or publishing:\n\n" + "\n".join(
        f"- `{e.field}`" + (f" (line {e.line})" if e.line else "") + f": {plain(e.message)}"
        for e in check.errors[:20]))
by_field: dict[str, list[str]] = {}
for error in check.errors:
    by_field.setdefault(error.field, []).append(error.message)

form_tab, yaml_tab, test_tab, versions_tab = st.tabs(["Form", "YAML", "Test on stored chats", "Versions"])

with form_tab:
    values = rubrics.form_values(editor.text)
    with st.form(f"rubric-form-{editor.revision}"):
        edited: dict[str, Any] = {"pass_mark": st.number_input(
            "Pass mark ({}-{})".format(*PASS_MARK_BOUNDS),
            value=int(number(values.get("pass_mark"))), step=1, key=f"pm-{editor.revision}")}
        for message in by_field.get("pass_mark", []):
            st.error(plain(message), icon=":material/error:")
        # the criteria as the YAML lists them, so that a weight out of bounds can be fixed here too
        criteria = [key.removesuffix(".weight") for key in values if key.endswith(".weight")]
        names = {c.id: c.name for c in check.rubric.criteria} if check.rubric else {}
        for index, cid in enumerate(criteria):
            shown_id = f"`{cid}`" if cid.isidentifier() else plain(cid)
            with st.expander(f"{plain(str(names.get(cid, cid)))} ({shown_id})"):
                edited[f"{cid}.weight"] = st.number_input("Weight ({:g}-{:g})".format(*WEIGHT_BOUNDS),
                                                           value=number(values.get(f"{cid}.weight")),
                                                           step=0.5, key=f"w-{editor.revision}-{cid}")
                for message in by_field.get(f"criteria.{index}.weight", []):
                    st.error(plain(message), icon=":material/error:")
                for n in range(4):
                    edited[f"{cid}.level.{n}"] = st.text_input(
                        f"Level {n} means", value=str(values.get(f"{cid}.level.{n}") or ""), max_chars=600,
                        key=f"l-{editor.revision}-{cid}-{n}")
        if not criteria:
            st.info("Fix the problems above in the YAML view to use the form.")
        if st.form_submit_button("Apply and save draft", disabled=not criteria):
            try:
                save(rubrics.apply_form(actor, editor.text, edited))
            except PracticeError as exc:
                st.error(str(exc))
            else:
                st.rerun()
    st.caption("Evidence rules, examples, critical-error caps and new criteria are edited in the YAML view.")

with yaml_tab, st.form(f"rubric-yaml-{editor.revision}"):
    text = st.text_area("Rubric YAML", value=editor.text, height=520, max_chars=MAX_YAML_CHARS,
                        key=f"ry-{editor.revision}")
    if st.form_submit_button("Check and save draft"):
        save(text)
        st.rerun()

with test_tab:
    st.caption("Grades stored chats twice with the same grader (deterministic evidence, no judge model): with the "
               "published rubric and with this draft. Nothing is stored.")
    with st.form("rubric-test"):
        col_last, col_team, col_persona, col_exemplars = st.columns(4)
        last = col_last.number_input("Last N chats", min_value=1, max_value=200, value=30, step=10)
        team = col_team.selectbox("Team", ["(any)", *services.review.filter_choices(actor).teams])
        persona = col_persona.selectbox("Customer", ["(any)", *sorted(services.practice.catalog.personas)])
        exemplars = col_exemplars.checkbox("Exemplars only")
        run = st.form_submit_button("Test the draft", type="primary", disabled=check.rubric is None)
    if run:
        with st.spinner("Grading the sample with both rubrics…"):
            try:
                tested_now = rubrics.test_draft(actor, editor.text, Sample(
                    last=int(last), team=None if team == "(any)" else str(team),
                    persona=None if persona == "(any)" else str(persona), exemplars=bool(exemplars)))
            except PracticeError as exc:
                st.error(str(exc))
            else:
                editor.tested = editor.text
                st.session_state["rubric_test"] = tested_now
    result = st.session_state.get("rubric_test")
    if result is not None and editor.tested == editor.text:
        flips, chats = result.flips, len(result.rows)
        (st.warning if flips else st.success)(
            f"{flips} of {chats} outcome(s) would flip (pass ↔ fail) under the draft.", icon=":material/swap_horiz:")
        st.dataframe(pd.DataFrame([{
            "chat": r.session_id, "trainee": r.trainee, "customer": r.persona,
            f"v{result.published_version} score": r.published_score,
            f"v{result.published_version}": "pass" if r.published_passed else "fail",
            "draft score": r.draft_score, "draft": "pass" if r.draft_passed else "fail",
            "flips": "⇄" if r.flipped else ""} for r in sorted(result.rows, key=lambda r: not r.flipped)]),
            hide_index=True, width="stretch")
        st.caption("Chats whose outcome would flip are listed first.")
        st.markdown(f"**Agreement with the trainers' judgements** ({result.calibration_chats} judged chats)")
        draft_rows = {k.id: k for k in result.draft_kappa}
        st.dataframe(pd.DataFrame([{
            "criterion": k.name, "judged": k.judged,
            f"kappa v{result.published_version}": measured(k.kappa),
            "kappa draft": measured(draft_rows[k.id].kappa if k.id in draft_rows else None)}
            for k in result.published_kappa]), hide_index=True,
            width="stretch")
    elif result is not None:
        st.info("The text changed since the last test: test it again.")

with versions_tab:
    st.dataframe(pd.DataFrame([{"version": v.version, "source": v.source, "by": v.by,
                                "published": v.created_at.strftime("%Y-%m-%d %H:%M"), "note": v.note or "",
                                "in play": "✓" if v.in_play else (v.problem or "")}
                               for v in versions]), hide_index=True)
    chosen = st.selectbox("Version", [v.version for v in versions], key="rubric-version")
    version_text = rubrics.version_yaml(actor, chosen)
    left, right = st.columns(2)
    left.download_button(f"Export version {chosen} (YAML)", version_text, file_name=f"rubric-v{chosen}.yaml",
                         mime="application/x-yaml")
    if right.button(f"Load version {chosen} into the editor"):
        save(version_text)
        st.rerun()

st.divider()
tested = editor.tested == editor.text
may_publish = rubrics.may_publish(actor)
note = st.text_input("What changed (shown in the version list)", max_chars=500, key=f"rn-{editor.revision}") \
    if may_publish else ""
publish, discard = st.columns(2)
if not may_publish:
    publish.info("An admin publishes rubrics: ask one to review your draft (it is saved as the shared draft).",
                 icon=":material/rate_review:")
elif publish.button(f"Publish as version {newest.version + 1}", type="primary",
                    disabled=check.rubric is None or unchanged or not tested,
                    help="Test the draft on stored chats first." if not tested and not unchanged else None):
    try:
        info = rubrics.publish(actor, editor.text, note=note)
    except PracticeError as exc:
        st.error(str(exc))
    else:
        ui.rubric = None
        ui.notice = (f"Published rubric version {info.version}. New grades use it; earlier grades and open "
                     "campaigns keep theirs.")
        st.rerun()
if not unchanged and discard.button("Discard the draft (back to the published version)"):
    rubrics.discard_draft(actor)
    ui.rubric = None
    st.rerun()
