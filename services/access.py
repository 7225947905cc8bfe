"""Who may read or change a practice session. Checked by the services on every call."""

from __future__ import annotations

from db.models import PracticeSession
from services.auth import AccessDenied, Actor
from services.permissions import Permission, may
from services.views import PracticeError
from settings import Settings


def can_read(actor: Actor, row: PracticeSession, settings: Settings) -> bool:
    if may(actor, Permission.READ_EVERY_CHAT) or (actor.id is not None and actor.id == row.user_id):
        return True
    if row.attempt_id is not None and may(actor, Permission.READ_CERTIFICATION_CHATS):
        return True  # HR reviews certification results: their chats, never a practice chat
    if may(actor, Permission.READ_TEAM_CHATS):
        team = row.user.team if row.user is not None else None
        return settings.trainer_scope == "all" or (team is not None and team == actor.team)
    return False


def can_change(actor: Actor, row: PracticeSession) -> bool:
    """Only the trainee who owns a chat (or the operator's tools) may write to it."""
    return actor.role == "system" or (actor.id is not None and actor.id == row.user_id)


def require(row: PracticeSession | None, session_id: int, allowed: bool) -> PracticeSession:
    """The row, or a refusal that reads the same for a missing and a forbidden chat (ids cannot be probed)."""
    if row is None:
        raise PracticeError(f"No chat with id {session_id}.")
    if not allowed:
        raise AccessDenied(f"No chat with id {session_id}.")
    return row


def can_see_trainee(actor: Actor, username: str, team: str | None, settings: Settings) -> bool:
    """Whether ``actor`` may see this trainee's chats and progress (certification results: also HR, see
    :meth:`services.certification.base.CertificationBase._sees`)."""
    if may(actor, Permission.READ_EVERY_CHAT) or actor.username == username:
        return True
    return may(actor, Permission.READ_TEAM_CHATS) and (settings.trainer_scope == "all"
                                                       or (team is not None and team == actor.team))
