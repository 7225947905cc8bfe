"""Scenario authoring (trainers and admins): a form and a YAML view of one persona, a scripted test chat,
versions, publishing, import and export. The services check, store and authorize; this page only renders."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from personas.loader import FieldError
from services import DIFFICULTIES, PracticeError
from services.scenarios import MAX_YAML_CHARS
from ui.context import ScenarioEditor, app_services, chat_ui, or_stop, plain, require_actor

services = app_services()
actor = require_actor()
scenarios = services.scenarios
st.title("Scenarios")
summaries = or_stop(lambda: scenarios.summaries(actor))

ui = chat_ui()
if ui.notice:
    st.success(ui.notice)
    ui.notice = None


def load(slug: str) -> ScenarioEditor:
    """The author's draft of ``slug`` if there is one, else its newest version."""
    draft = scenarios.draft(actor, slug)
    return ScenarioEditor(slug, draft if draft is not None else scenarios.version_yaml(actor, slug))


if ui.editor is None:
    ui.editor = load(summaries[0].slug)
editor = ui.editor
known = {s.slug: s for s in summaries}


def label(slug: str) -> str:
    s = known.get(slug)
    if s is None:
        return f"{slug} (new, not published)"
    return f"{s.title} · v{s.version}" + (" · draft" if s.has_draft else "")


def save(text: str) -> None:
    try:
        scenarios.save_draft(actor, editor.slug, text)
    except PracticeError as exc:
        st.error(plain(str(exc)))
        st.stop()


with st.sidebar:
    options = list(known) + ([editor.slug] if editor.slug not in known else [])
    picked = st.selectbox("Persona", options, index=options.index(editor.slug), format_func=label,
                          key=f"pick-{editor.revision}")
    if picked != editor.slug:
        ui.editor = load(picked)
        st.rerun()
    if st.button("New persona (copy of this one)", icon=":material/add:"):
        editor.replace(scenarios.template(actor, picked if picked in known else summaries[0].slug),
                       slug=None, source="editor")
        new_check = scenarios.check(actor, editor.text)
        editor.slug = new_check.persona.slug if new_check.persona else editor.slug
        save(editor.text)
        st.rerun()
    upload = st.file_uploader("Import a persona (YAML)", type=["yaml", "yml"], key=f"import-{editor.revision}")
    if upload is not None:
        raw = upload.getvalue()
        try:
            if len(raw) > MAX_YAML_CHARS:
                raise PracticeError(f"{upload.name} is {len(raw):,} bytes; the limit is {MAX_YAML_CHARS:,}.")
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            st.error(f"{plain(upload.name)} is not UTF-8 text: nothing was imported.")
        except PracticeError as exc:
            st.error(plain(str(exc)))
        else:
            imported = scenarios.check(actor, text)
            slug = imported.persona.slug if imported.persona else upload.name.rsplit(".", 1)[0][:40]
            editor.replace(text, slug=slug, source="import")
            save(text)
            ui.notice = (f"Imported {plain(upload.name)}. Check it, test it, then publish." if imported.persona else
                         f"Imported {plain(upload.name)}: it has problems to fix before it can be published.")
            st.rerun()

check = scenarios.check(actor, editor.text)
by_field: dict[str, list[FieldError]] = {}
for error in check.errors:
    by_field.setdefault(error.field, []).append(error)

st.caption(f"Editing **{plain(editor.slug)}**" + (" (imported)" if editor.source == "import" else "")
           + ". Changes are saved as a draft; trainees see them only once published.")
if check.persona is None:
    st.error(f"{len(check.errors)} problem(s) to fix before publishing:\n\n" + "\n".join(
        f"- `{e.field.replace('`', '')}`" + (f" (line {e.line})" if e.line else "") + f": {plain(e.message)}"
        for e in check.errors[:20]))
else:
    st.success("Valid: ready to test and publish.", icon=":material/check_circle:")

form_tab, yaml_tab, test_tab, versions_tab = st.tabs(["Form", "YAML", "Test chat", "Versions"])

TEXT_AREAS = {"summary", "backstory", "scenario.problem", "style.description"}
INTS = {"company.max_discount_percent", "walk_away_after", "style.max_sentence_words"}
LABELS = {"company.max_discount_percent": "Largest discount the company allows (%)",
          "walk_away_after": "Walks away after this many turns at full frustration",
          "style.max_sentence_words": "Longest sentence the customer follows (words)",
          "style.confused_by_jargon": "Confused by jargon"}

with form_tab:
    values = scenarios.form_values(editor.text)
    with st.form(f"form-{editor.revision}"):
        edited: dict[str, Any] = {}
        for path in scenarios.form_fields:
            key = f"f-{editor.revision}-{path}"
            name = LABELS.get(path, path.replace(".", " › ").replace("_", " "))
            current = values.get(path)
            if path == "style.confused_by_jargon":
                edited[path] = st.checkbox(name, value=bool(current), key=key)
            elif path.startswith("difficulty.") or path in INTS:
                if current is not None and not isinstance(current, int | float):
                    st.warning(f"{name}: '{plain(str(current))}' is not a number; fix it in the YAML view.")
                    continue
                whole = path in INTS or path.endswith("rejects_before_accepting")
                edited[path] = st.number_input(name, value=(int if whole else float)(current or 0),
                                               step=1 if whole else 0.25, key=key)
            elif path in TEXT_AREAS:
                edited[path] = st.text_area(name, value=str(current or ""), height=90, max_chars=600, key=key)
            else:
                edited[path] = st.text_input(name, value=str(current or ""), max_chars=600, key=key)
            for error in by_field.get(path, []):
                st.error(plain(error.message), icon=":material/error:")
        if st.form_submit_button("Apply and save draft"):
            try:
                editor.replace(scenarios.apply_form(actor, editor.text, edited))
            except PracticeError as exc:
                st.error(plain(str(exc)))
            else:
                save(editor.text)
                st.rerun()
    st.caption("Line banks, offers, hidden facts and triggers are edited in the YAML view.")

with yaml_tab:
    with st.form(f"yaml-{editor.revision}"):
        text = st.text_area("Persona YAML", value=editor.text, height=520, max_chars=MAX_YAML_CHARS,
                            key=f"y-{editor.revision}")
        if st.form_submit_button("Check and save draft"):
            editor.replace(text)
            save(text)
            st.rerun()
    st.download_button("Export this text (YAML)", editor.text, file_name=f"{editor.slug}.yaml",
                       mime="application/x-yaml", key="export-current")

with test_tab:
    st.caption("Chat with the scripted customer built from this text: nothing is stored, and edits apply at once.")
    difficulty = st.radio("Difficulty", DIFFICULTIES, index=1, horizontal=True, key="test-difficulty")
    if check.persona is None:
        st.info("Fix the problems above to test this persona.")
    else:
        try:
            chat = scenarios.test_chat(actor, editor.text, difficulty=str(difficulty),
                                       agent_messages=editor.test_messages)
        except PracticeError as exc:
            st.error(plain(str(exc)))
        else:
            for turn in chat.turns:
                icon = ":material/support_agent:" if turn.role == "agent" else ":material/person:"
                with st.chat_message(turn.role, avatar=icon):
                    st.markdown(plain(turn.text))
                    signals = f" · {', '.join(turn.signals)}" if turn.signals else ""
                    st.caption(f"frustration {turn.frustration:.1f}{signals}")
            st.caption(f"stage: {chat.stage}" + (f" · ended: {chat.ended_reason}" if chat.ended_reason else ""))
            if not chat.ended_reason:
                with st.form("test-say", clear_on_submit=True):
                    limit = services.practice.settings.max_message_chars
                    said = st.text_input("Your reply as the agent", max_chars=limit)
                    if st.form_submit_button("Send") and said.strip():
                        editor.test_messages.append(said)
                        st.rerun()
        if editor.test_messages and st.button("Restart the test chat"):
            editor.test_messages = []
            st.rerun()

with versions_tab:
    if editor.slug not in known:
        st.info("Not published yet: version 1 is created when you publish.")
    else:
        history = scenarios.versions(actor, editor.slug)
        st.dataframe(pd.DataFrame([{"version": v.version, "source": v.source, "by": v.by,
                                    "published": v.created_at.strftime("%Y-%m-%d %H:%M"), "sessions run": v.sessions,
                                    "note": v.note or ""} for v in history]), hide_index=True)
        chosen = st.selectbox("Version", [v.version for v in history], key=f"ver-{editor.slug}")
        version_text = scenarios.version_yaml(actor, editor.slug, chosen)
        left, right = st.columns(2)
        left.download_button(f"Export version {chosen} (YAML)", version_text,
                             file_name=f"{editor.slug}-v{chosen}.yaml", mime="application/x-yaml")
        if right.button(f"Load version {chosen} into the editor"):
            editor.replace(version_text)
            save(version_text)
            st.rerun()

st.divider()
published = check.persona is not None and check.persona.slug in known
next_version = known[check.persona.slug].version + 1 if published and check.persona else 1
unchanged = published and check.persona is not None and editor.text == scenarios.version_yaml(actor,
                                                                                            check.persona.slug)
note = st.text_input("What changed (shown in the version list)", max_chars=500, key=f"note-{editor.revision}")
publish, discard = st.columns(2)
if publish.button(f"Publish as version {next_version}", type="primary", disabled=check.persona is None or unchanged,
                  help="Nothing to publish: this is the newest version." if unchanged else None):
    try:
        info = scenarios.publish(actor, editor.text, note=note, source=editor.source)
    except PracticeError as exc:
        st.error(plain(str(exc)))
    else:
        scenarios.discard_draft(actor, editor.slug)
        ui.editor = ScenarioEditor(info.slug, editor.text, revision=editor.revision + 1)
        ui.notice = f"Published {info.slug} version {info.version}. New chats use it; earlier chats keep theirs."
        st.rerun()
if scenarios.draft(actor, editor.slug) is not None and editor.slug in known and \
        discard.button("Discard draft (back to the newest version)"):
    scenarios.discard_draft(actor, editor.slug)
    editor.replace(scenarios.version_yaml(actor, editor.slug), source="editor")
    st.rerun()
