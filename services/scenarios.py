"""Scenario authoring: trainers and admins edit, test, publish, import and export personas.

A persona is edited as YAML text (the form edits the same text, field by
field).  Every check returns the problems tied to field paths and YAML lines.
The test chat replays the author's messages against the draft with the
scripted customer, so it needs no model and no stored session.  Publishing
appends a version; nothing is overwritten, and sessions stay pinned to the
version they ran on (see :mod:`services.catalog`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from customer.backend import Turn
from customer.scripted import ScriptedBackend
from customer.state import CustomerState
from customer.turn import CustomerTurn, DisputeTurn, make_engine, opening, step
from db.repositories import Work
from personas import safe_yaml
from personas.loader import FieldError, PersonaCheck, check_persona_text, version_hash
from services.auth import Actor
from services.catalog import LiveCatalog
from services.permissions import Permission
from services.permissions import require as require_permission
from services.practice import DIFFICULTIES, catalog_order
from services.views import PracticeError
from settings import Settings

#: A persona file is a few kilobytes; this leaves room for long line banks and refuses pasted dumps.
MAX_YAML_CHARS = 100_000
SOURCES = ("editor", "import")
#: The fields the form edits; everything else (line banks, offers, triggers) is edited in the YAML view.
FORM_FIELDS: tuple[str, ...] = (
    "name", "title", "summary", "backstory", "scenario.product", "scenario.problem",
    "company.max_discount_percent", "walk_away_after",
    "difficulty.easy.start_frustration", "difficulty.easy.sensitivity", "difficulty.easy.rejects_before_accepting",
    "difficulty.normal.start_frustration", "difficulty.normal.sensitivity",
    "difficulty.normal.rejects_before_accepting",
    "difficulty.hard.start_frustration", "difficulty.hard.sensitivity", "difficulty.hard.rejects_before_accepting",
    "style.description", "style.max_sentence_words", "style.confused_by_jargon",
)


@dataclass(frozen=True)
class ScenarioSummary:
    slug: str
    name: str
    title: str
    version: int
    has_draft: bool


@dataclass(frozen=True)
class VersionInfo:
    slug: str
    version: int
    content_hash: str
    source: str
    by: str
    created_at: datetime
    note: str | None
    sessions: int


@dataclass(frozen=True)
class TestTurn:
    role: str
    text: str
    frustration: float
    signals: tuple[str, ...] = ()


@dataclass
class TestChat:
    turns: list[TestTurn] = field(default_factory=list)
    stage: str = ""
    ended_reason: str | None = None


class ScenarioService:
    form_fields = FORM_FIELDS

    def __init__(self, settings: Settings, catalog: LiveCatalog, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.catalog = catalog
        self.sessions = sessions
        self.work = Work(sessions)

    @staticmethod
    def _author(actor: Actor) -> None:
        require_permission(actor, Permission.AUTHOR_SCENARIOS)

    # -- reading ---------------------------------------------------------------------------
    def summaries(self, actor: Actor) -> list[ScenarioSummary]:
        self._author(actor)
        with self.work() as uow:
            drafts = {d for d in (uow.personas.draft(s) for s in self.catalog.personas) if d is not None}
            drafted = {d.slug for d in drafts}
        return [ScenarioSummary(p.slug, p.name, p.title, self.catalog.version(p.slug) or 0, p.slug in drafted)
                for p in sorted(self.catalog.personas.values(), key=catalog_order)]

    def versions(self, actor: Actor, slug: str) -> list[VersionInfo]:
        self._author(actor)
        with self.work() as uow:
            used = uow.sessions.per_persona_version(slug)
            return [VersionInfo(r.slug, r.version, r.content_hash, r.source, r.by_username, r.created_at, r.note,
                                used.get(r.content_hash, 0)) for r in uow.personas.versions(slug)]

    def version_yaml(self, actor: Actor, slug: str, version: int | None = None) -> str:
        """The YAML of one version (the newest when ``version`` is None): what export downloads."""
        self._author(actor)
        with self.work() as uow:
            rows = uow.personas.versions(slug)
        row = rows[0] if rows and version is None else next((r for r in rows if r.version == version), None)
        if row is None:
            raise PracticeError(f"No persona '{slug}'" + (f" version {version}." if version else "."))
        return row.yaml_text

    def template(self, actor: Actor, base: str) -> str:
        """A new persona's starting text: a copy of ``base`` under a new slug."""
        text = self.version_yaml(actor, base)
        taken = set(self.catalog.personas)
        slug = next(f"new-customer-{n}" for n in range(1, 1000) if f"new-customer-{n}" not in taken)
        return re.sub(r"(?m)^slug:.*$", f"slug: {slug}", text, count=1)

    # -- drafts ----------------------------------------------------------------------------
    def draft(self, actor: Actor, slug: str) -> str | None:
        self._author(actor)
        with self.work() as uow:
            row = uow.personas.draft(slug)
            return row.yaml_text if row else None

    def save_draft(self, actor: Actor, slug: str, yaml_text: str) -> None:
        self._author(actor)
        self._size(yaml_text)
        with self.work() as uow:
            uow.personas.save_draft(slug=slug, yaml_text=yaml_text, by_username=actor.username)
            uow.commit()

    def discard_draft(self, actor: Actor, slug: str) -> None:
        self._author(actor)
        with self.work() as uow:
            if uow.personas.delete_draft(slug):
                uow.commit()

    # -- checking and editing --------------------------------------------------------------
    @staticmethod
    def _size(yaml_text: str) -> None:
        if len(yaml_text) > MAX_YAML_CHARS:
            raise PracticeError(f"The persona text is {len(yaml_text):,} characters; the limit is "
                                f"{MAX_YAML_CHARS:,}. Nothing was saved.")

    def check(self, actor: Actor, yaml_text: str) -> PersonaCheck:
        self._author(actor)
        self._size(yaml_text)
        if not yaml_text.strip():
            return PersonaCheck(None, (FieldError("(top level)", "the persona is empty"),))
        if "\x00" in yaml_text:
            return PersonaCheck(None, (FieldError("(top level)", "the text contains a NUL byte"),))
        return check_persona_text(yaml_text)

    def apply_form(self, actor: Actor, yaml_text: str, values: dict[str, Any]) -> str:
        """Set the form's fields (dotted paths from :data:`FORM_FIELDS`) in the YAML text."""
        self._author(actor)
        self._size(yaml_text)
        try:
            data = safe_yaml.load(yaml_text)
        except yaml.YAMLError:  # also an alias or nesting too deep
            raise PracticeError("The YAML view has a syntax error: fix it there before using the form.") from None
        if not isinstance(data, dict):
            raise PracticeError("The YAML view does not hold a persona: fix it there before using the form.")
        for path, value in values.items():
            if path not in FORM_FIELDS:
                raise PracticeError(f"'{path}' is not a form field.")
            node = data
            *parents, leaf = path.split(".")
            for part in parents:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = node[part] = {}
                node = child
            node[leaf] = value
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)

    @staticmethod
    def form_values(yaml_text: str) -> dict[str, Any]:
        """The form fields' current values (missing ones are absent)."""
        try:
            data = safe_yaml.load(yaml_text)
        except yaml.YAMLError:  # also an alias or nesting too deep
            return {}
        values: dict[str, Any] = {}
        for path in FORM_FIELDS:
            node: Any = data
            for part in path.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            if node is not None:
                values[path] = node
        return values

    # -- test chat -------------------------------------------------------------------------
    def test_chat(self, actor: Actor, yaml_text: str, *, difficulty: str, agent_messages: list[str],
                  seed: int = 7) -> TestChat:
        """Replay ``agent_messages`` against the draft with the scripted customer; nothing is stored."""
        check = self.check(actor, yaml_text)
        if check.persona is None:
            raise PracticeError(f"Fix the persona before testing it: {check.errors[0]}")
        if difficulty not in DIFFICULTIES:
            raise PracticeError(f"Unknown difficulty '{difficulty}' (choose easy, normal or hard).")
        for text in agent_messages:
            if not text.strip():
                raise PracticeError("Type a message before sending.")
            if len(text) > self.settings.max_message_chars:
                raise PracticeError(f"Messages are limited to {self.settings.max_message_chars:,} characters.")
        persona = check.persona
        engine = make_engine(persona, difficulty, max_turns=self.settings.max_turns)  # type: ignore[arg-type]
        backend = ScriptedBackend()
        state = engine.initial_state()
        chat = TestChat()
        history: tuple[Turn, ...] = ()

        def answer(turn: CustomerTurn | DisputeTurn) -> CustomerState:
            nonlocal history
            for speech in turn.speeches():
                text = speech.stream.drain()
                shown = f"{speech.speaker}: {text}" if speech.speaker else text
                chat.turns.append(TestTurn("customer", shown, speech.frustration))
                history = (*history, Turn("customer", text, speech.speaker))
            return turn.state_after()

        state = answer(opening(engine, backend, state, seed))
        for text in agent_messages:
            if state.ended:
                break
            turn = step(engine, backend, state, text, history=history, seed=seed)
            signals = tuple(dict.fromkeys(f"{h.kind.value} {h.delta:+.1f}" for h in turn.hits()))
            chat.turns.append(TestTurn("agent", text, turn.state.frustration, signals))
            history = (*history, Turn("agent", text))
            state = answer(turn)
        chat.stage, chat.ended_reason = state.stage.value, state.ended_reason
        return chat

    # -- publishing ------------------------------------------------------------------------
    def publish(self, actor: Actor, yaml_text: str, *, note: str = "", source: str = "editor") -> VersionInfo:
        """Validate and append a new version; the draft of that slug is cleared."""
        self._author(actor)
        if source not in SOURCES:
            raise PracticeError(f"Unknown source '{source}'.")
        check = self.check(actor, yaml_text)
        if check.persona is None:
            raise PracticeError("Not published: " + "; ".join(str(e) for e in check.errors[:3]))
        persona = check.persona
        digest = version_hash(persona)
        with self.work() as uow:
            existing = uow.personas.versions(persona.slug)
            if existing and existing[0].content_hash == digest:
                raise PracticeError(f"Not published: this is the same as version {existing[0].version} "
                                    f"of '{persona.slug}'.")
            try:
                row = uow.personas.add_version(slug=persona.slug, yaml_text=yaml_text, content_hash=digest,
                                               source=source, note=note.strip()[:500] or None,
                                               by_user_id=actor.id, by_username=actor.username)
                uow.personas.delete_draft(persona.slug)  # the same transaction: published and draft cleared
                uow.commit()
            except IntegrityError:
                uow.db.rollback()
                raise PracticeError("Someone published this persona at the same moment: reload and try again.") \
                    from None
            info = VersionInfo(row.slug, row.version, row.content_hash, row.source, row.by_username,
                               row.created_at, row.note, 0)
        self.catalog.invalidate()
        return info
