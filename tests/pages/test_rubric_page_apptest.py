"""The Rubric page through Streamlit's AppTest: a trainer drafts and is told to ask an admin, an admin publishes,
bounds come back as field errors, and a version stored outside the bounds is named and not used."""

from __future__ import annotations

from typing import Any

from db.repositories import Work
from services import Actor
from tests.pages.test_report_apptest import _as, _text

PUBLISH = "Publish as version 2"
ASK = "An admin publishes rubrics: ask one to review your draft"


def _open(user_id: int) -> Any:
    app = _as(user_id)
    app.switch_page("pages/rubric.py").run()
    assert not app.exception
    return app


def _save_yaml(app: Any, change: tuple[str, str]) -> None:
    box = app.text_area(key="ry-0")
    box.input(box.value.replace(*change, 1))
    next(b for b in app.button if b.label == "Check and save draft").click().run()
    assert not app.exception


def test_a_trainer_is_asked_to_get_an_admins_review_and_an_admin_may_publish(world: dict[str, Any]) -> None:
    services = world["services"]
    root = services.auth.create_user(Actor.system(), username="root", role="admin", password="root-secret")
    app = _open(world["tina"].id)
    _save_yaml(app, ("pass_mark: 70", "pass_mark: 65"))
    assert ASK in _text(app) and not any(b.label == PUBLISH for b in app.button)
    assert services.rubrics.draft(root) is not None  # the shared draft the admin reviews
    admin = _open(root.id)
    assert ASK not in _text(admin) and any(b.label == PUBLISH for b in admin.button)


def test_a_weight_out_of_bounds_is_a_field_error_the_form_can_fix(world: dict[str, Any]) -> None:
    app = _open(world["tina"].id)
    _save_yaml(app, ("    weight: 2\n", "    weight: 0.1\n"))
    assert "`criteria.0.weight`" in _text(app) and "must be between 0.5 and 5" in _text(app)
    weight = app.number_input(key="w-1-acknowledge")  # the form still lists the criteria
    assert weight.value == 0.1
    weight.set_value(1.0)
    next(b for b in app.button if b.label == "Apply and save draft").click().run()
    assert not app.exception
    assert "must be between" not in _text(app)


def test_a_version_stored_outside_the_bounds_is_named_and_not_used(world: dict[str, Any]) -> None:
    services = world["services"]
    text = services.rubrics.version_yaml(Actor.system()).replace("pass_mark: 70", "pass_mark: 0")
    with Work(services.grading.sessions)() as uow:
        uow.rubrics.add_version(yaml_text=text.replace("version: 1", "version: 2"), content_hash="legacy",
                                source="editor", note="before the bounds", by="tina", version=2)
        uow.commit()
    shown = _text(_open(world["tina"].id))
    assert "Version 2 breaks a rule a rubric must follow" in shown and "pass_mark" in shown
    assert "Published: version 1 (from grading/rubric.yaml" in shown
