"""Try a different reply: branch a practice chat at one of the trainee's turns, and list a chat's family.

A branch is a new chat holding the conversation up to the chosen turn, with the customer exactly as it was after
the reply before it: the state stored with that customer message (frustration, stage, facts told, offers, the
scripted lines already spoken), the same persona version, difficulty, seed and backend. The trainee then writes a
different reply. Branches are practice only and only the chat's own trainee may take one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from db.models import Grade, PracticeSession
from db.repositories import Work
from services.access import can_change, can_read, require
from services.auth import Actor
from services.catalog import LiveCatalog
from services.views import PracticeError, turn_after
from settings import Settings


@dataclass(frozen=True)
class BranchView:
    """One chat of a family (the original and every branch taken from it or from its branches).

    Attributes:
        session_id: the chat.
        parent_id: the chat it was branched from (``None`` for the original).
        split_turn: the trainee's turn at which it left its parent (``None`` for the original).
        replaced: what the parent's trainee wrote at that turn.
        reply: what this chat's trainee wrote there instead (``None`` until they write it).
        overall: the score of record, once graded.
        active: still running.
        current: the chat being looked at.
    """

    session_id: int
    parent_id: int | None
    split_turn: int | None
    replaced: str | None
    reply: str | None
    overall: int | None
    active: bool
    current: bool
    started_at: datetime


class BranchService:
    def __init__(self, settings: Settings, catalog: LiveCatalog, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.catalog = catalog
        self.work = Work(sessions)

    def branch(self, actor: Actor, session_id: int, turn: int) -> int:
        """Start a new chat from chat ``session_id`` just before the trainee's ``turn`` (1 = their first message);
        return its id. The customer does not speak: the trainee writes the different reply."""
        with self.work() as uow:
            row = uow.sessions.get(session_id)
            row = require(row, session_id, row is not None and can_change(actor, row))
            if row.mode != "practice" or row.attempt_id is not None:
                raise PracticeError("Only practice chats can be tried again from a turn: a certification attempt's "
                                    "chats stay as they were written.")
            agent = [m for m in row.messages if m.role == "agent"]
            if not 1 <= turn <= len(agent):
                raise PracticeError(f"Chat #{session_id} has no turn {turn} of yours to try again "
                                    f"(it has {len(agent)}).")
            replaced = agent[turn - 1]
            before = next((m for m in reversed(row.messages) if m.seq < replaced.seq), None)
            if before is None or before.role != "customer" or before.state_json is None:
                raise PracticeError(f"Turn {turn} of chat #{session_id} cannot be tried again: the chat was recorded "
                                    "before the customer's state was kept with each reply.")
            try:
                self.catalog.pinned(row.persona_slug, row.persona_version)
            except KeyError as exc:
                raise PracticeError(str(exc.args[0])) from None
            branch = uow.sessions.create(
                user_id=row.user_id, trainee=row.trainee, persona_slug=row.persona_slug,
                persona_version=row.persona_version, difficulty=row.difficulty, seed=row.seed, backend=row.backend,
                model=row.model, state=before.state_json, branch_of=row, branch_seq=replaced.seq,
            )
            uow.sessions.copy_messages(source=row, to_session_id=branch.id, before_seq=replaced.seq)
            uow.commit()
            return branch.id

    def family(self, actor: Actor, session_id: int) -> list[BranchView]:
        """The chat's family, oldest first: empty when the chat was never branched and is no branch."""
        with self.work() as uow:
            row = uow.sessions.get(session_id)
            row = require(row, session_id, row is not None and can_read(actor, row, self.settings))
            members = uow.sessions.family(row.root_id or row.id)
            if len(members) < 2:
                return []
            by_id = {s.id: s for s, _ in members}
            return [self._view(s, g, by_id, session_id) for s, g in members]

    @staticmethod
    def _view(row: PracticeSession, grade: Grade | None, by_id: dict[int, PracticeSession],
              current: int) -> BranchView:
        parent = by_id.get(row.parent_id) if row.parent_id is not None else None
        split = replaced = reply = None
        if parent is not None and row.branch_seq is not None:
            split = turn_after(m.role for m in parent.messages if m.seq < row.branch_seq)
            replaced = next((m.content for m in parent.messages if m.seq == row.branch_seq), None)
            reply = next((m.content for m in row.messages if m.seq == row.branch_seq), None)
        overall = row.latest_overall if row.latest_overall is not None else (grade.overall if grade else None)
        return BranchView(row.id, row.parent_id, split, replaced, reply, overall, row.status == "active",
                          row.id == current, row.started_at)
