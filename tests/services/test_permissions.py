"""The role table: what each role may do, and the refusal people read."""

from __future__ import annotations

import pytest

from services.auth import AccessDenied, Actor
from services.permissions import ROLE_PERMISSIONS, Permission, may, require

ANN, TINA, ROOT = Actor(1, "ann", "trainee", "red"), Actor(2, "tina", "trainer", "red"), Actor(3, "root", "admin")


def test_trainees_may_nothing_trainers_more_admins_and_the_system_everything() -> None:
    assert not any(may(ANN, p) for p in Permission)
    assert ROLE_PERMISSIONS["trainer"] < ROLE_PERMISSIONS["admin"] <= ROLE_PERMISSIONS["system"]
    assert may(TINA, Permission.OVERRIDE_GRADES) and not may(TINA, Permission.MANAGE_ACCOUNTS)
    assert not may(TINA, Permission.READ_EVERY_CHAT) and may(ROOT, Permission.READ_EVERY_CHAT)
    assert all(may(Actor.system(), p) for p in Permission) and not may(None, Permission.REVIEW_TRANSCRIPTS)
    assert [a.is_staff for a in (ANN, TINA, ROOT, Actor.system())] == [False, True, True, True]


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
