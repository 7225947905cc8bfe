"""Who may do what: one table of roles and permissions, one ``require(actor, Permission.X)``.

Publishing the rubric is an admin's: a trainer drafts and tests it (``EDIT_RUBRIC``) and asks an admin to review
and publish it (``PUBLISH_RUBRIC``), so that no single trainer changes how everyone is graded.

Which chats and trainees a trainer may see (their team, or everyone with ``TRAINER_SCOPE=all``) is a scope, not a
permission: :mod:`services.access` applies it on top of ``READ_TEAM_CHATS``.
"""

from __future__ import annotations

from enum import StrEnum

from services.auth import AccessDenied, Actor


class Permission(StrEnum):
    """Each value is what a refusal says the actor may not do ("Only an admin can manage teams.")."""

    MANAGE_ACCOUNTS = "manage accounts"
    MANAGE_TEAMS = "manage teams"
    SEE_SETTINGS = "see or test the settings"
    MANAGE_CAMPAIGNS = "manage certification campaigns"
    READ_EVERY_CHAT = "read every trainee's chats"
    AUTHOR_SCENARIOS = "author scenarios"
    REVIEW_TRANSCRIPTS = "review transcripts"
    OVERRIDE_GRADES = "override a grade"
    SEE_TEAM_ANALYTICS = "see team analytics"
    REVIEW_CERTIFICATION = "review certification results"
    END_OVERDUE_ATTEMPTS = "end overdue attempts"
    SEE_EVERY_CAMPAIGN = "see every campaign"
    READ_TEAM_CHATS = "read their team's chats"
    SEE_CALIBRATION = "see how far the grader agrees with trainers"
    EDIT_RUBRIC = "draft and test the rubric"
    PUBLISH_RUBRIC = "publish a rubric"
    DECIDE_DISPUTES = "decide trainees' disputes"


_TRAINER = frozenset({
    Permission.AUTHOR_SCENARIOS, Permission.REVIEW_TRANSCRIPTS, Permission.OVERRIDE_GRADES,
    Permission.SEE_TEAM_ANALYTICS, Permission.REVIEW_CERTIFICATION, Permission.END_OVERDUE_ATTEMPTS,
    Permission.SEE_EVERY_CAMPAIGN, Permission.READ_TEAM_CHATS, Permission.SEE_CALIBRATION, Permission.EDIT_RUBRIC,
    Permission.DECIDE_DISPUTES,
})
_ADMIN = _TRAINER | {Permission.MANAGE_ACCOUNTS, Permission.MANAGE_TEAMS, Permission.SEE_SETTINGS,
                     Permission.MANAGE_CAMPAIGNS, Permission.READ_EVERY_CHAT, Permission.PUBLISH_RUBRIC}
#: The role table. ``system`` is the operator's command-line tools and the app's own jobs.
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "trainee": frozenset(), "trainer": _TRAINER, "admin": frozenset(_ADMIN), "system": frozenset(Permission),
}


def may(actor: Actor | None, permission: Permission) -> bool:
    return actor is not None and permission in ROLE_PERMISSIONS.get(actor.role, frozenset())


def require(actor: Actor | None, permission: Permission, doing: str | None = None) -> None:
    """Refuse with "Only an admin can …" / "Only trainers and admins can …" unless the actor's role has
    ``permission``; ``doing`` words the refused action more precisely ("reset passwords")."""
    if may(actor, permission):
        return
    who = "trainers and admins" if permission in _TRAINER else "an admin"
    raise AccessDenied(f"Only {who} can {doing or permission.value}.")
