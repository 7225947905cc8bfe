"""The rubric as versioned data: the file is version 1, drafts are checked field by field and tested on stored
chats beside the published version, publishing adds a version; old grades and open campaigns keep theirs."""

from __future__ import annotations

from typing import Any

import pytest

from db import audit
from db.repositories import Work
from grading.rubric import RUBRIC_PATH
from services import AccessDenied, Actor, PracticeError, Services, build_services
from services.rubric_editor import Sample
from settings import Settings
from tests.conftest import make_people
from tests.services.test_calibration import POLITE, RUDE, chat

SYSTEM = Actor.system()
FILE = RUBRIC_PATH.read_text(encoding="utf-8")


@pytest.fixture
def world(settings: Settings) -> dict[str, Any]:
    services = build_services(settings)
    return {"services": services, "settings": settings, **make_people(services)}


def stored_number(services: Services, session_id: int) -> int | None:
    stored = services.grading.latest(SYSTEM, session_id)
    assert stored is not None
    return stored.report.rubric_number


def test_the_file_is_version_one_recorded_once_and_only_staff_edit(world: dict[str, Any]) -> None:
    services, ann, tina = world["services"], world["ann"], world["tina"]
    build_services(world["settings"])  # a second process starting: nothing recorded twice
    assert [(v.version, v.source) for v in services.rubrics.versions(tina)] == [(1, "file")]
    assert services.rubrics.version_yaml(tina) == FILE
    assert stored_number(services, chat(services, ann, POLITE)) == 1
    with pytest.raises(AccessDenied):
        services.rubrics.versions(ann)
    with pytest.raises(AccessDenied):
        services.rubrics.publish(ann, FILE.replace("pass_mark: 70", "pass_mark: 60"))


def test_a_draft_is_checked_field_by_field(world: dict[str, Any]) -> None:
    services, tina, root = world["services"], world["tina"], world["root"]
    bad = FILE.replace("    weight: 2\n", "    weight: 9\n", 1)
    check = services.rubrics.check(tina, bad)
    assert check.rubric is None
    line = FILE.splitlines().index("    weight: 2") + 1  # the first criterion's weight
    assert [(e.field, e.line) for e in check.errors] == [("criteria.0.weight", line)]
    assert "less than or equal to 5" in check.errors[0].message
    assert services.rubrics.check(tina, "version: [").errors[0].field == "(YAML syntax)"
    assert services.rubrics.check(tina, "- a list").errors[0].message.startswith("expected a mapping")
    with pytest.raises(PracticeError, match="Fix the rubric before publishing"):
        services.rubrics.publish(root, bad)
    with pytest.raises(PracticeError, match="Nothing to publish"):
        services.rubrics.publish(root, FILE)
    services.rubrics.save_draft(tina, bad)
    assert services.rubrics.draft(tina) == bad
    services.rubrics.discard_draft(tina)
    assert services.rubrics.draft(tina) is None
    form = services.rubrics.apply_form(tina, FILE, {"pass_mark": 60, "apology.weight": 2.5,
                                                    "apology.level.0": "No apology at all."})
    values = services.rubrics.form_values(form)
    assert (values["pass_mark"], values["apology.weight"], values["apology.level.0"]) == (60, 2.5, "No apology at all.")
    with pytest.raises(PracticeError, match="not a form field"):
        services.rubrics.apply_form(tina, FILE, {"nobody.weight": 1})


def test_a_draft_shows_which_outcomes_would_flip_and_its_kappa(world: dict[str, Any]) -> None:
    services, ann, tina = world["services"], world["ann"], world["tina"]
    chats = [chat(services, ann, line) for line in (POLITE, RUDE, POLITE, RUDE)]
    scores = {c: services.grading.latest(SYSTEM, c).report.overall for c in chats}  # type: ignore[union-attr]
    for c in chats:
        services.calibration.confirm(tina, c, "no_canned")
    services.grading.override(tina, chats[1], criterion_id="no_canned", level=2, reason="one stock phrase")

    lower = FILE.replace("pass_mark: 70", "pass_mark: 50")  # the lowest pass mark a rubric may have
    result = services.rubrics.test_draft(tina, lower, Sample(last=10))
    assert {r.session_id: r.published_score for r in result.rows} == scores  # the published side is the stored grade
    assert all(r.draft_score == r.published_score for r in result.rows)  # only the pass mark moved
    assert result.flips == sum((s >= 50) != (s >= 70) for s in scores.values()) and result.flips > 0
    assert result.calibration_chats == 4
    published = {k.id: k for k in result.published_kappa}
    draft = {k.id: k for k in result.draft_kappa}
    assert published["no_canned"].judged == 4 and draft["no_canned"].kappa == published["no_canned"].kappa

    # a stricter "no canned lines" (starting at 2, not 3) moves that criterion's levels and so its kappa
    stricter = FILE.replace("      baseline: 3\n", "      baseline: 2\n", 1)
    changed = {k.id: k for k in services.rubrics.test_draft(tina, stricter, Sample(last=10)).draft_kappa}
    assert changed["no_canned"].kappa != published["no_canned"].kappa
    assert changed["no_canned"].confusion != published["no_canned"].confusion


def test_publishing_adds_a_version_and_old_grades_and_open_campaigns_keep_theirs(world: dict[str, Any]) -> None:
    from tests.services.test_certification import campaign

    services, ann, tina, root = world["services"], world["ann"], world["tina"], world["root"]
    before = chat(services, ann, RUDE)
    services.calibration.confirm(tina, before, "no_canned")
    services.calibration.confirm(tina, before, "apology")
    early = campaign(services)
    early_version = next(c for c in services.certification.campaigns(SYSTEM) if c.id == early).rubric_version

    stricter = FILE.replace("      baseline: 3\n", "      baseline: 2\n", 1)
    info = services.rubrics.publish(root, stricter, note="stricter on canned lines")  # an admin publishes
    assert info.version == 2 and services.rubrics.versions(tina)[0].note == "stricter on canned lines"
    assert "version: 2" in services.rubrics.version_yaml(tina)
    after = chat(services, ann, RUDE)
    assert (stored_number(services, before), stored_number(services, after)) == (1, 2)
    late = campaign(services, name="Later campaign", trainees=["bob"])
    views = {c.id: c for c in services.certification.campaigns(SYSTEM)}
    assert views[early].rubric_version == early_version and views[late].rubric_version != early_version

    # trust carries over for the unchanged criterion only
    table = {c.id: c for c in services.calibration.agreement(tina).criteria}
    assert table["apology"].judged == 1 and table["no_canned"].judged == 0
    assert {c.id: c.judged for c in services.calibration.agreement(tina, 1).criteria}["no_canned"] == 1
    assert services.calibration.agreement(tina).versions == (1, 2)
    with Work(services.grading.sessions)() as uow:
        assert audit.verify(uow.db)[1] is None
