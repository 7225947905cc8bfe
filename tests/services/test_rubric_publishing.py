"""Publishing a rubric needs an admin, and a rubric's pass mark, weights and caps stay within documented bounds.

A trainer who could publish ``pass_mark: 0`` for everyone made an insulting chat (capped at 25) pass with 5. Trainers
still draft and test; an admin publishes. A version stored before the bounds existed still loads (old grades and
campaigns read it) but is not put in play: new chats are graded with the newest version within the bounds."""

from __future__ import annotations

import re
from typing import Any

import pytest

from db.repositories import Work
from grading.rubric import RUBRIC_PATH, load_rubric, out_of_bounds, parse_rubric
from services import AccessDenied, Actor, PracticeError, Services, build_services
from settings import Settings
from tests.conftest import make_people
from tests.services.test_calibration import POLITE, chat

SYSTEM = Actor.system()
FILE = RUBRIC_PATH.read_text(encoding="utf-8")
INSULT = "You are an idiot and this is your own stupid fault."


@pytest.fixture
def world(settings: Settings) -> dict[str, Any]:
    services = build_services(settings)
    return {"services": services, "settings": settings, **make_people(services)}


def audit_count(services: Services) -> int:
    from sqlalchemy import func, select

    from db.models import AuditEntry

    with services.auth.sessions() as db:
        return db.scalar(select(func.count()).select_from(AuditEntry)) or 0


def test_a_trainer_drafts_and_tests_but_only_an_admin_publishes(world: dict[str, Any]) -> None:
    services, tina, root = world["services"], world["tina"], world["root"]
    lower = FILE.replace("pass_mark: 70", "pass_mark: 60")
    services.rubrics.save_draft(tina, lower)  # a trainer may still draft ...
    assert services.rubrics.check(tina, lower).rubric is not None  # ... check ...
    services.rubrics.test_draft(tina, lower, services_sample())  # ... and test
    before = ([v.version for v in services.rubrics.versions(tina)], audit_count(services),
              services.rubrics.draft(tina))
    with pytest.raises(AccessDenied, match=r"^Only an admin can publish a rubric: .*ask an admin to review"):
        services.rubrics.publish(tina, lower, note="lower the bar")
    assert ([v.version for v in services.rubrics.versions(tina)], audit_count(services),
            services.rubrics.draft(tina)) == before  # nothing stored, the draft kept for the admin
    assert services.rubrics.version_yaml(tina) == FILE
    assert not services.rubrics.may_publish(tina) and services.rubrics.may_publish(root)

    info = services.rubrics.publish(root, services.rubrics.draft(root) or "", note="reviewed tina's draft")
    assert (info.version, info.by) == (2, "root")
    assert "pass_mark: 60" in services.rubrics.version_yaml(tina)
    assert services.rubrics.draft(root) is None


def services_sample() -> Any:
    from services.rubric_editor import Sample

    return Sample(last=5)


def _pass_mark(value: str) -> str:
    return FILE.replace("pass_mark: 70", f"pass_mark: {value}")


def _first_weight(value: str) -> str:
    return FILE.replace("    weight: 2\n", f"    weight: {value}\n", 1)


def _first_cap(value: str) -> str:
    return FILE.replace("    cap: 30\n", f"    cap: {value}\n", 1)


@pytest.mark.parametrize(("text", "field", "message"), [
    (_pass_mark("0"), "pass_mark", "between 50 and 95"),
    (_pass_mark("49"), "pass_mark", "between 50 and 95"),
    (_pass_mark("100"), "pass_mark", "between 50 and 95"),
    (_pass_mark("150"), "pass_mark", "less than or equal to 100"),
    (_first_weight("0"), "criteria.0.weight", "greater than 0"),
    (_first_weight("-1"), "criteria.0.weight", "greater than 0"),
    (_first_weight("0.1"), "criteria.0.weight", "between 0.5 and 5"),
    (_first_cap("60"), "critical.0.cap", "below 50"),
], ids=["pass 0", "pass 49", "pass 100", "pass 150", "weight 0", "weight -1", "weight 0.1", "cap 60"])
def test_out_of_bounds_values_come_back_as_field_errors_and_are_never_published(
        world: dict[str, Any], text: str, field: str, message: str) -> None:
    services, root = world["services"], world["root"]
    check = services.rubrics.check(root, text)
    assert check.rubric is None
    assert [e.field for e in check.errors] == [field]
    assert message in check.errors[0].message and check.errors[0].line is not None
    key = field.rsplit(".", 1)[-1]
    assert re.match(rf"\s*-?\s*{key}:", text.splitlines()[check.errors[0].line - 1])  # the line holds the field
    before = ([v.version for v in services.rubrics.versions(root)], audit_count(services))
    with pytest.raises(PracticeError, match="Fix the rubric before publishing"):
        services.rubrics.publish(root, text)
    assert ([v.version for v in services.rubrics.versions(root)], audit_count(services)) == before


def test_the_bounds_keep_the_shipped_rubric_valid_and_a_rubric_needs_one_criterion_that_always_applies(
        world: dict[str, Any]) -> None:
    rubric = load_rubric()
    assert 50 <= rubric.pass_mark <= 95 and all(0.5 <= c.weight <= 5 for c in rubric.criteria)
    assert all(c.cap < 50 for c in rubric.critical)
    services, root = world["services"], world["root"]
    never = FILE.replace("applies: {always: true}", "applies: {min_agent_turns: 3}")
    check = services.rubrics.check(root, never)
    assert [e.field for e in check.errors] == ["criteria"] and "always" in check.errors[0].message


def test_a_version_stored_before_the_bounds_loads_but_is_not_put_in_play(world: dict[str, Any]) -> None:
    """As if a trainer had published ``pass_mark: 0`` before this fix: start-up works, old readers still read
    the version, and new chats are graded with the newest version within the bounds (here the file's)."""
    services, settings, ann, tina = world["services"], world["settings"], world["ann"], world["tina"]
    bad = _pass_mark("0").replace("version: 1", "version: 2", 1)
    with Work(services.grading.sessions)() as uow:
        uow.rubrics.add_version(yaml_text=bad, content_hash="legacy", source="editor", note="before the bounds",
                                by="tina", version=2)
        uow.commit()

    restarted = build_services(settings)  # a process starting with that version stored
    versions = {v.version: v for v in restarted.rubrics.versions(tina)}
    assert versions[2].problem is not None and "pass_mark" in versions[2].problem and not versions[2].in_play
    assert versions[1].problem is None and versions[1].in_play
    assert restarted.rubrics.version_yaml(tina, 2) == bad  # still readable (its grades, its export)
    assert restarted.rubrics.version_yaml(tina) == FILE  # the one in play
    graded = restarted.grading.latest(SYSTEM, chat(restarted, ann, POLITE))
    assert graded is not None and graded.report.rubric_number == 1 and graded.report.pass_mark == 70
    insulted = restarted.grading.latest(SYSTEM, chat(restarted, ann, INSULT))
    assert insulted is not None and not insulted.report.passed


def test_a_campaign_frozen_with_an_out_of_bounds_text_is_still_graded_with_it() -> None:
    """A campaign keeps the text it froze when it opened (its results stay comparable), even one from before the
    bounds; its own pass mark applies."""
    from services.certification.campaigns import campaign_rubric

    frozen = _first_weight("0.1")
    with pytest.raises(ValueError, match=r"criteria\.0\.weight: must be between 0\.5 and 5"):
        parse_rubric(frozen)
    rubric = campaign_rubric(frozen, 80)
    assert (rubric.pass_mark, rubric.criteria[0].weight) == (80, 0.1)
    assert out_of_bounds(frozen) is not None and out_of_bounds(FILE) is None
