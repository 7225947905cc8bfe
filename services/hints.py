"""A coach on demand in practice chats: the hint for the trainee's next message, stored and shown on the report.

The hint is chosen in code (:mod:`hints`) from the conversation so far; on the ``openai`` backend the customer's
model may phrase it (:mod:`hints.phrase`), falling back to the hint's own words. Hints are refused in certification
attempts (every campaign's chats: a hint is a live aid), in ended chats and while the customer owes a reply. Asking
again at the same moment shows the same hint and stores nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.repositories import Work
from grading.citations import readable
from hints import choose
from hints.phrase import phrase
from llm.models import ModelUnavailable, chat_model
from services.access import can_change, can_read, require
from services.auth import Actor
from services.catalog import LiveCatalog
from services.views import PracticeError, turn_after
from settings import Settings


@dataclass(frozen=True)
class HintView:
    """A hint as the trainee reads it: after which of their turns, its kind, its words and its source."""

    turn: int
    kind: str
    text: str
    source: str
    phrased_by: str | None


class HintService:
    def __init__(self, settings: Settings, catalog: LiveCatalog, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.catalog = catalog
        self.work = Work(sessions)

    def hint(self, actor: Actor, session_id: int) -> HintView:
        """The hint for the trainee's next message in their practice chat, stored with the chat."""
        with self.work() as uow:
            row = uow.sessions.get(session_id)
            row = require(row, session_id, row is not None and can_change(actor, row))
            if row.mode != "practice" or row.attempt_id is not None:
                raise PracticeError("Hints are not available in certification attempts.")
            if row.status != "active":
                raise PracticeError("This chat has ended: hints are for the next message of a running chat.")
            if not row.messages or row.messages[-1].role != "customer":
                raise PracticeError("Wait for the customer's reply: the hint is for your next message.")
            turns = [(m.role, m.content) for m in row.messages]
            after = len(row.messages)
            shown = next((h for h in uow.sessions.hints(session_id) if h.after_seq == after), None)
            if shown is not None:
                return self._view(shown.after_seq, shown.kind, shown.text, shown.source, shown.phrased_by, turns)
            try:
                persona = self.catalog.pinned(row.persona_slug, row.persona_version)
            except KeyError:
                persona = None
            backend = row.backend
        chosen = choose(turns, persona)
        text, phrased_by = chosen.text, None
        if backend == "openai":
            try:
                model = chat_model(self.settings, "customer", "openai")
            except ModelUnavailable:
                model = None
            better = phrase(model, chosen, turns) if model is not None else None
            if model is not None and better is not None:
                text, phrased_by = better, model.model
        try:
            with self.work() as uow:
                uow.sessions.add_hint(session_id=session_id, after_seq=after, kind=chosen.kind.value, text=text,
                                      source=chosen.source, phrased_by=phrased_by)
                uow.commit()
        except IntegrityError:  # another tab asked at the same moment: its hint is the one shown
            shown_turn = turn_after(role for role, _ in turns)
            return next(h for h in self.used(actor, session_id) if h.turn == shown_turn)
        return self._view(after, chosen.kind.value, text, chosen.source, phrased_by, turns)

    def used(self, actor: Actor, session_id: int) -> list[HintView]:
        """The hints shown in a chat, in order (for its report)."""
        with self.work() as uow:
            row = uow.sessions.get(session_id)
            row = require(row, session_id, row is not None and can_read(actor, row, self.settings))
            turns = [(m.role, m.content) for m in row.messages]
            return [self._view(h.after_seq, h.kind, h.text, h.source, h.phrased_by, turns)
                    for h in uow.sessions.hints(session_id)]

    @staticmethod
    def _view(after: int, kind: str, text: str, source: str, phrased_by: str | None,
              turns: list[tuple[str, str]]) -> HintView:
        return HintView(turn_after(role for role, _ in turns[:after]), kind, text, readable(source), phrased_by)

