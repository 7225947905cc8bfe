"""Who may do what: one table of roles and permissions, one ``require(actor, Permission.X)``.

Publishing the rubric is an admin's: a trainer drafts and tests it (``EDIT_RUBRIC``) and asks an admin to review
and publish it (``PUBLISH_RUBRIC``), so that no single trainer changes how everyone is graded.

Which chats and trainees a trainer may see (their team, or everyone with ``TRAINER_SCOPE=all``) is a scope, not a
permission: :mod:`services.access` applies it on top of ``READ_TEAM_CHATS``.

HR runs certification (campaigns, review, certificates, HR's reports) and the trainees' accounts and teams, without
being an admin: no rubric, settings, scenarios or calibration, no practice chat, no staff account
(``MANAGE_TRAINEE_ACCOUNTS``: :mod:`services.accounts` applies it to trainee accounts only). Its review decides an
outcome; it does not confirm criterion levels (the grader's measured agreement is trainers' word).
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
    MANAGE_TRAINEE_ACCOUNTS = "manage trainee accounts"
    SEE_EVERY_ATTEMPT = "see every trainee's certification results"
    READ_CERTIFICATION_CHATS = "read certification chats"


_TRAINER = frozenset({
    Permission.AUTHOR_SCENARIOS, Permission.REVIEW_TRANSCRIPTS, Permission.OVERRIDE_GRADES,
    Permission.SEE_TEAM_ANALYTICS, Permission.REVIEW_CERTIFICATION, Permission.END_OVERDUE_ATTEMPTS,
    Permission.SEE_EVERY_CAMPAIGN, Permission.READ_TEAM_CHATS, Permission.SEE_CALIBRATION, Permission.EDIT_RUBRIC,
    Permission.DECIDE_DISPUTES,
})
_HR = frozenset({
    Permission.MANAGE_CAMPAIGNS, Permission.SEE_EVERY_CAMPAIGN, Permission.END_OVERDUE_ATTEMPTS,
    Permission.REVIEW_CERTIFICATION, Permission.SEE_EVERY_ATTEMPT, Permission.READ_CERTIFICATION_CHATS,
    Permission.MANAGE_TRAINEE_ACCOUNTS, Permission.MANAGE_TEAMS,
})
_ADMIN = _TRAINER | _HR | {Permission.MANAGE_ACCOUNTS, Permission.SEE_SETTINGS, Permission.READ_EVERY_CHAT,
                           Permission.PUBLISH_RUBRIC}
#: The role table. ``system`` is the operator's command-line tools and the app's own jobs.
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "trainee": frozenset(), "trainer": _TRAINER, "hr": _HR, "admin": frozenset(_ADMIN),
    "system": frozenset(Permission),
}
#: How a refusal names each role that may (in this order).
_WHO = {"trainer": "trainers", "hr": "HR", "admin": "admins"}


def may(actor: Actor | None, permission: Permission) -> bool:
    return actor is not None and permission in ROLE_PERMISSIONS.get(actor.role, frozenset())


def who_may(permission: Permission) -> str:
    """The roles that have ``permission``, as a refusal says them: "an admin", "trainers and admins", "HR and
    admins", "trainers, HR and admins"."""
    names = [name for role, name in _WHO.items() if permission in ROLE_PERMISSIONS[role]]
    if names == ["admins"]:
        return "an admin"
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0] if names else "the system"


def require(actor: Actor | None, permission: Permission, doing: str | None = None) -> None:
    """Refuse with "Only an admin can …" / "Only trainers and admins can …" (every role that may, from the table)
    unless the actor's role has ``permission``; ``doing`` words the refused action more precisely ("reset
    passwords")."""
    if may(actor, permission):
        return
    raise AccessDenied(f"Only {who_may(permission)} can {doing or permission.value}.")
