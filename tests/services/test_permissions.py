"""The role table: what each role may do, and the refusal people read."""

from __future__ import annotations

import pytest

from services.auth import AccessDenied, Actor
from services.permissions import ROLE_PERMISSIONS, Permission, may, require

ANN, TINA, ROOT = Actor(1, "ann", "trainee", "red"), Actor(2, "tina", "trainer", "red"), Actor(3, "root", "admin")
HAZEL = Actor(4, "hazel", "hr")
#: HR's part of the table: certification and trainees' accounts and teams, nothing of grading or configuration.
HR_MAY = {Permission.MANAGE_CAMPAIGNS, Permission.SEE_EVERY_CAMPAIGN, Permission.END_OVERDUE_ATTEMPTS,
          Permission.REVIEW_CERTIFICATION, Permission.SEE_EVERY_ATTEMPT, Permission.READ_CERTIFICATION_CHATS,
          Permission.MANAGE_TRAINEE_ACCOUNTS, Permission.MANAGE_TEAMS}


def test_trainees_may_nothing_trainers_more_admins_and_the_system_everything() -> None:
    assert not any(may(ANN, p) for p in Permission)
    assert ROLE_PERMISSIONS["trainer"] < ROLE_PERMISSIONS["admin"] <= ROLE_PERMISSIONS["system"]
    assert may(TINA, Permission.OVERRIDE_GRADES) and not may(TINA, Permission.MANAGE_ACCOUNTS)
    assert not may(TINA, Permission.READ_EVERY_CHAT) and may(ROOT, Permission.READ_EVERY_CHAT)
    assert all(may(Actor.system(), p) for p in Permission) and not may(None, Permission.REVIEW_TRANSCRIPTS)
    assert [a.is_staff for a in (ANN, TINA, ROOT, Actor.system())] == [False, True, True, True]


def test_hr_runs_certification_and_trainee_accounts_and_nothing_else() -> None:
    assert {p for p in Permission if may(HAZEL, p)} == HR_MAY
    assert ROLE_PERMISSIONS["hr"] < ROLE_PERMISSIONS["admin"]  # an admin may all HR may
    for refused in (Permission.MANAGE_ACCOUNTS, Permission.SEE_SETTINGS, Permission.EDIT_RUBRIC,
                    Permission.PUBLISH_RUBRIC, Permission.AUTHOR_SCENARIOS, Permission.SEE_CALIBRATION,
                    Permission.READ_EVERY_CHAT, Permission.READ_TEAM_CHATS, Permission.OVERRIDE_GRADES,
                    Permission.DECIDE_DISPUTES):
        assert not may(HAZEL, refused), refused
    assert not HAZEL.is_staff  # no transcript review: HR reads certification chats only
    assert not any(may(a, Permission.MANAGE_TRAINEE_ACCOUNTS) for a in (ANN, TINA))
    with pytest.raises(AccessDenied, match=r"^Only an admin can see or test the settings\.$"):
        require(HAZEL, Permission.SEE_SETTINGS)


def test_trainers_draft_and_test_the_rubric_but_only_admins_publish_it() -> None:
    assert [may(a, Permission.EDIT_RUBRIC) for a in (ANN, TINA, ROOT)] == [False, True, True]
    assert [may(a, Permission.PUBLISH_RUBRIC) for a in (ANN, TINA, ROOT, Actor.system())] == [False, False, True, True]
    with pytest.raises(AccessDenied, match=r"^Only an admin can publish a rubric\.$"):
        require(TINA, Permission.PUBLISH_RUBRIC)


def test_a_refusal_names_who_may_and_what() -> None:
    with pytest.raises(AccessDenied, match=r"^Only trainers and admins can override a grade\.$"):
        require(ANN, Permission.OVERRIDE_GRADES)
    with pytest.raises(AccessDenied, match=r"^Only an admin can reset passwords\.$"):
        require(TINA, Permission.MANAGE_ACCOUNTS, "reset passwords")
    require(ROOT, Permission.MANAGE_ACCOUNTS)
    with pytest.raises(AccessDenied, match=r"^Only HR and admins can manage trainee accounts\.$"):
        require(TINA, Permission.MANAGE_TRAINEE_ACCOUNTS)
    with pytest.raises(AccessDenied, match=r"^Only trainers, HR and admins can review certification results\.$"):
        require(ANN, Permission.REVIEW_CERTIFICATION)
