"""Practice sessions (chats), their messages and trainers' turn comments: every query, and the customer's state
stored as JSON. Adds, changes and flushes; never commits (the unit of work does)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from customer.state import CustomerState
from db.models import Grade, Message, PracticeSession, TurnComment, User, utcnow
from db.models_practice import Hint

#: The browser's sort orders, by the name the page shows.
ORDERS: dict[str, tuple[Any, ...]] = {
    "newest": (PracticeSession.started_at.desc(), PracticeSession.id.desc()),
    "oldest": (PracticeSession.started_at.asc(), PracticeSession.id.asc()),
    "lowest score": (PracticeSession.latest_overall.asc().nulls_last(), PracticeSession.id.asc()),
    "highest score": (PracticeSession.latest_overall.desc().nulls_last(), PracticeSession.id.desc()),
}


def state_of(row: PracticeSession) -> CustomerState:
    """The customer's stored state."""
    return CustomerState.model_validate_json(row.state_json)


class SessionRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    # -- writes ---------------------------------------------------------------------------------
    def create(self, *, trainee: str, user_id: int | None = None, persona_slug: str, persona_version: str,
               difficulty: str, seed: int, backend: str, model: str | None, state: CustomerState | str,
               mode: str = "practice", attempt_id: int | None = None,
               branch_of: PracticeSession | None = None, branch_seq: int | None = None,
               rush_id: int | None = None) -> PracticeSession:
        """A new chat; ``branch_of`` (with ``branch_seq``, the position of its message the branch replaces) makes
        it a branch of that chat, in the same family."""
        row = PracticeSession(
            user_id=user_id, trainee=trainee, persona_slug=persona_slug, persona_version=persona_version,
            difficulty=difficulty, seed=seed, backend=backend, model=model,
            state_json=state if isinstance(state, str) else state.model_dump_json(),
            mode=mode, status="active", attempt_id=attempt_id,
            parent_id=branch_of.id if branch_of else None,
            root_id=(branch_of.root_id or branch_of.id) if branch_of else None, branch_seq=branch_seq,
            rush_id=rush_id,
        )
        self.db.add(row)
        self.db.flush()
        return row

    def _next_seq(self, session_id: int) -> int:
        current = self.db.scalar(select(func.max(Message.seq)).where(Message.session_id == session_id))
        return 1 if current is None else current + 1

    def add_message(self, *, session_id: int, role: str, content: str, frustration: float,
                    state: CustomerState | str | None = None, speaker: str | None = None,
                    seq: int | None = None, at: datetime | None = None) -> Message:
        """Append one message (the unique (session, seq) key refuses duplicates), with the customer's state after
        it when given, and which customer spoke in a chat with two. ``seq`` claims one position: the insert fails
        if another writer took it since the caller read the chat. ``at`` is the message's time (now by default)."""
        row = Message(session_id=session_id, seq=self._next_seq(session_id) if seq is None else seq, role=role,
                      content=content, frustration=frustration, speaker=speaker,
                      state_json=state if isinstance(state, str) or state is None else state.model_dump_json())
        if at is not None:
            row.created_at = at
        self.db.add(row)
        self.db.flush()
        return row

    def save_state(self, *, session_id: int, state: CustomerState | str, ended_reason: str | None = None,
                   tokens: tuple[int, int] = (0, 0)) -> None:
        """Store the customer's new state and the tokens it used (its messages are added with ``add_message``)."""
        row = self.db.get(PracticeSession, session_id)
        if row is None:
            raise LookupError(f"no session {session_id}")
        row.state_json = state if isinstance(state, str) else state.model_dump_json()
        row.tokens_in += tokens[0]
        row.tokens_out += tokens[1]
        if ended_reason is not None:
            row.status, row.ended_reason, row.ended_at = "ended", ended_reason, utcnow()

    def copy_messages(self, *, source: PracticeSession, to_session_id: int, before_seq: int) -> None:
        """Copy ``source``'s messages before position ``before_seq`` into another chat (a branch), as written."""
        for m in source.messages:
            if m.seq < before_seq:
                self.db.add(Message(session_id=to_session_id, seq=m.seq, role=m.role, content=m.content,
                                    frustration=m.frustration, state_json=m.state_json, speaker=m.speaker,
                                    created_at=m.created_at))
        self.db.flush()

    def add_hint(self, *, session_id: int, after_seq: int, kind: str, text: str, source: str,
                 phrased_by: str | None) -> Hint:
        row = Hint(session_id=session_id, after_seq=after_seq, kind=kind, text=text, source=source,
                   phrased_by=phrased_by)
        self.db.add(row)
        self.db.flush()
        return row

    def mark_exemplar(self, row: PracticeSession, *, by: str | None, note: str | None) -> None:
        row.exemplar_by, row.exemplar_note = by, note

    # -- reads ----------------------------------------------------------------------------------
    def get(self, session_id: int) -> PracticeSession | None:
        return self.db.scalar(select(PracticeSession).where(PracticeSession.id == session_id)
                              .options(selectinload(PracticeSession.messages)))

    def family(self, root_id: int) -> list[tuple[PracticeSession, Grade | None]]:
        """A chat and every branch taken from it (or from its branches), oldest first, with their latest grade."""
        query = (select(PracticeSession, Grade)
                 .outerjoin(Grade, Grade.id == PracticeSession.latest_grade_id)
                 .where((PracticeSession.id == root_id) | (PracticeSession.root_id == root_id))
                 .options(selectinload(PracticeSession.messages))
                 .order_by(PracticeSession.id))
        return [(s, g) for s, g in self.db.execute(query).all()]

    def hints(self, session_id: int) -> Sequence[Hint]:
        return self.db.scalars(select(Hint).where(Hint.session_id == session_id).order_by(Hint.id)).all()

    def hint_counts(self, session_ids: Sequence[int]) -> dict[int, int]:
        """How many hints each of these chats used (chats without any are left out)."""
        rows = self.db.execute(select(Hint.session_id, func.count()).where(Hint.session_id.in_(list(session_ids)))
                               .group_by(Hint.session_id)).all()
        return {sid: n for sid, n in rows}

    def recent(self, *, trainee: str | None = None, user_id: int | None = None, status: str | None = None,
             limit: int = 50) -> Sequence[PracticeSession]:
        query = select(PracticeSession).order_by(PracticeSession.started_at.desc(), PracticeSession.id.desc())
        if trainee is not None:
            query = query.where(PracticeSession.trainee == trainee)
        if user_id is not None:
            query = query.where(PracticeSession.user_id == user_id)
        if status is not None:
            query = query.where(PracticeSession.status == status)
        return self.db.scalars(query.limit(limit)).all()

    def with_messages(self, ids: Sequence[int] | None = None) -> Sequence[PracticeSession]:
        query = select(PracticeSession).order_by(PracticeSession.id).options(
            selectinload(PracticeSession.messages), selectinload(PracticeSession.grades))
        if ids is not None:
            query = query.where(PracticeSession.id.in_(list(ids)))
        return self.db.scalars(query).all()

    def with_team_and_grade(self, ids: Sequence[int] | None = None
                            ) -> list[tuple[PracticeSession, str | None, Grade | None]]:
        """Sessions (all, or these ids) in id order, with their trainee's team and latest grade."""
        query = (select(PracticeSession, User.team, Grade)
                 .outerjoin(User, User.id == PracticeSession.user_id)
                 .outerjoin(Grade, Grade.id == PracticeSession.latest_grade_id)
                 .order_by(PracticeSession.id))
        if ids is not None:
            query = query.where(PracticeSession.id.in_(list(ids)))
        return [(s, team, g) for s, team, g in self.db.execute(query).all()]

    def browse(
        self, *, team: str | None = None, trainee: str | None = None, personas: Sequence[str] = (),
        difficulty: str | None = None, mode: str | None = None, started_from: datetime | None = None,
        started_to: datetime | None = None, score_min: int | None = None, score_max: int | None = None,
        flagged: bool = False, exemplars: bool = False, sort: str = "newest", offset: int = 0, limit: int = 50,
    ) -> tuple[list[tuple[PracticeSession, User | None, Grade | None]], int]:
        """One page of sessions with their user and latest grade, filtered in SQL on one indexed table; and the
        total that matched."""
        conditions: list[Any] = []
        if team is not None:
            conditions.append(PracticeSession.user_id.in_(select(User.id).where(User.team == team)))
        if trainee:
            conditions.append(PracticeSession.trainee == trainee)
        if personas:
            conditions.append(PracticeSession.persona_slug.in_(list(personas)))
        if difficulty:
            conditions.append(PracticeSession.difficulty == difficulty)
        if mode:
            conditions.append(PracticeSession.mode == mode)
        if started_from is not None:
            conditions.append(PracticeSession.started_at >= started_from)
        if started_to is not None:
            conditions.append(PracticeSession.started_at < started_to)
        if score_min is not None:
            conditions.append(PracticeSession.latest_overall >= score_min)
        if score_max is not None:
            conditions.append(PracticeSession.latest_overall <= score_max)
        if flagged:
            conditions.append(PracticeSession.latest_flagged.is_(True))
        if exemplars:
            conditions.append(PracticeSession.exemplar_by.is_not(None))
        total = self.db.scalar(select(func.count(PracticeSession.id)).where(*conditions)) or 0
        page = (select(PracticeSession.id).where(*conditions).order_by(*ORDERS[sort]).offset(offset).limit(limit)
                .subquery())
        query = (
            select(PracticeSession, User, Grade)
            .join(page, page.c.id == PracticeSession.id)
            .outerjoin(User, User.id == PracticeSession.user_id)
            .outerjoin(Grade, Grade.id == PracticeSession.latest_grade_id)
            .order_by(*ORDERS[sort])
        )
        return [(s, u, g) for s, u, g in self.db.execute(query).all()], total

    def trainee_history(self, *, trainee: str, limit: int = 100) -> list[tuple[PracticeSession, Grade | None]]:
        """A trainee's sessions, newest first, each with its latest grade (or None)."""
        query = (
            select(PracticeSession, Grade)
            .outerjoin(Grade, Grade.id == PracticeSession.latest_grade_id)
            .where(PracticeSession.trainee == trainee)
            .order_by(PracticeSession.started_at.desc(), PracticeSession.id.desc())
            .limit(limit)
        )
        return [(s, g) for s, g in self.db.execute(query).all()]

    def graded_practice(self, *, trainee: str | None = None, team: str | None = None
                        ) -> list[tuple[PracticeSession, Grade]]:
        """Graded practice chats (of a trainee, or a team's members), oldest first, with their latest grade."""
        query = (select(PracticeSession, Grade)
                 .join(Grade, Grade.id == PracticeSession.latest_grade_id)
                 .outerjoin(User, User.id == PracticeSession.user_id)
                 .where(PracticeSession.mode == "practice")
                 .order_by(PracticeSession.started_at, PracticeSession.id))
        if trainee is not None:
            query = query.where(PracticeSession.trainee == trainee)
        if team is not None:
            query = query.where(User.team == team)
        return [(s, g) for s, g in self.db.execute(query).all()]

    def practice_start_times(self, trainee: str) -> Sequence[datetime]:
        return self.db.scalars(select(PracticeSession.started_at).where(
            PracticeSession.trainee == trainee, PracticeSession.mode == "practice")).all()

    def per_persona_version(self, slug: str) -> dict[str, int]:
        rows = self.db.execute(select(PracticeSession.persona_version, func.count())
                               .where(PracticeSession.persona_slug == slug)
                               .group_by(PracticeSession.persona_version)).all()
        return {h: n for h, n in rows}

    def exemplars(self, ids: Sequence[int]) -> Sequence[PracticeSession]:
        """Those of these sessions a trainer marked as exemplars."""
        return self.db.scalars(select(PracticeSession).where(PracticeSession.id.in_(list(ids)),
                                                             PracticeSession.exemplar_by.is_not(None))).all()

    def trainees_and_teams(self, team: str | None = None) -> tuple[list[str], list[str]]:
        """Usernames with the trainee role or any chat, and the teams in use (within ``team`` if given)."""
        has_chats = select(PracticeSession.id).where(PracticeSession.user_id == User.id).exists()
        people = select(User.username, User.team).where((User.role == "trainee") | has_chats)
        teams_query = select(User.team).where(User.team.is_not(None)).distinct()
        if team is not None:
            people = people.where(User.team == team)
            teams_query = teams_query.where(User.team == team)
        trainees = sorted({name for name, _ in self.db.execute(people).all()})
        teams = sorted({t for t in self.db.scalars(teams_query).all() if t}, key=str.casefold)
        return trainees, teams

    # -- trainers' comments on turns --------------------------------------------------------------
    def add_comment(self, *, session_id: int, turn: int, body: str, by_user_id: int | None,
                    by_username: str) -> TurnComment:
        row = TurnComment(session_id=session_id, turn=turn, body=body, by_user_id=by_user_id,
                          by_username=by_username)
        self.db.add(row)
        self.db.flush()
        return row

    def comments(self, session_id: int) -> Sequence[TurnComment]:
        return self.db.scalars(select(TurnComment).where(TurnComment.session_id == session_id)
                               .order_by(TurnComment.id)).all()

    def unseen_comment_counts(self, user_id: int) -> list[tuple[int, str, int]]:
        """(session id, persona slug, unseen comments) of the user's chats with comments not seen yet, newest
        chat first."""
        rows = self.db.execute(
            select(PracticeSession.id, PracticeSession.persona_slug, func.count(TurnComment.id))
            .join(TurnComment, TurnComment.session_id == PracticeSession.id)
            .where(PracticeSession.user_id == user_id, TurnComment.seen_at.is_(None))
            .group_by(PracticeSession.id, PracticeSession.persona_slug)
            .order_by(PracticeSession.id.desc())).all()
        return [(sid, slug, count) for sid, slug, count in rows]

    def mark_comments_seen(self, session_id: int) -> int:
        unseen = self.db.scalars(select(TurnComment).where(TurnComment.session_id == session_id,
                                                           TurnComment.seen_at.is_(None))).all()
        now = utcnow()
        for comment in unseen:
            comment.seen_at = now
        return len(unseen)
