"""Scenario authoring on both databases: checks tied to fields, test chat, versions, pinning, import/export."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from customer.engine import CustomerEngine
from personas.loader import version_hash
from services import AccessDenied, Actor, PracticeError, ReviewFilters, Services, build_services
from settings import Settings
from tests.conftest import ROOT, agent_lines

SYSTEM = Actor.system()


@pytest.fixture
def services(settings: Settings) -> Services:
    return build_services(settings)


def hostile_text(services: Services) -> str:
    return services.scenarios.version_yaml(SYSTEM, "hostile")


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_every_file_persona_is_version_one_and_startup_is_idempotent(settings: Settings) -> None:
    first = build_services(settings)
    again = build_services(settings)
    for s in (first, again):
        summaries = s.scenarios.summaries(SYSTEM)
        assert len(summaries) == 10 and {x.version for x in summaries} == {1}
    versions = again.scenarios.versions(SYSTEM, "hostile")
    assert [(v.version, v.source) for v in versions] == [(1, "file")]
    assert hostile_text(again) == (ROOT / "personas" / "hostile.yaml").read_text()


def test_a_changed_file_becomes_a_new_version(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "personas"
    shutil.copytree(ROOT / "personas", folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    build_services(settings.model_copy(update={"personas_dir": folder}))
    path = folder / "hostile.yaml"
    path.write_text(path.read_text().replace("name: Derek Malone", "name: Derek Malloy"))
    services = build_services(settings.model_copy(update={"personas_dir": folder}))
    assert [(v.version, v.source) for v in services.scenarios.versions(SYSTEM, "hostile")] == [(2, "file"), (1, "file")]
    assert services.practice.catalog.get("hostile").name == "Derek Malloy"


def test_errors_are_tied_to_fields_and_lines(services: Services) -> None:
    text = hostile_text(services)
    bad = text.replace("hard: {start_frustration: 9, sensitivity: 1.5", "hard: {start_frustration: 9, sensitivity: 9")
    errors = services.scenarios.check(SYSTEM, bad).errors
    assert [(e.field, e.line) for e in errors] == [("difficulty.hard.sensitivity", line_of(bad, "hard: {"))]
    assert "less than or equal to 3" in errors[0].message

    typo = text.replace("name: Derek", "nmae: Derek")
    errors = services.scenarios.check(SYSTEM, typo).errors
    assert (errors[0].field, errors[0].line) == ("nmae", line_of(typo, "nmae:"))
    assert any(e.field == "name" and "required" in e.message.lower() for e in errors)

    broken = text.replace("title: \"Hostile", "title: [\"Hostile", 1)
    (syntax,) = services.scenarios.check(SYSTEM, broken).errors
    assert syntax.field == "(YAML syntax)" and syntax.line is not None

    assert "empty" in services.scenarios.check(SYSTEM, "  \n").errors[0].message
    assert "mapping" in services.scenarios.check(SYSTEM, "- a list\n").errors[0].message
    assert "NUL" in services.scenarios.check(SYSTEM, text + "\x00").errors[0].message
    with pytest.raises(PracticeError, match="limit is 100,000"):
        services.scenarios.check(SYSTEM, text + "#" * 100_000)


def test_the_form_edits_fields_of_the_same_text(services: Services) -> None:
    text = hostile_text(services)
    assert services.scenarios.form_values(text)["difficulty.normal.start_frustration"] == 8
    edited = services.scenarios.apply_form(SYSTEM, text, {"name": "Dee Malone",
                                                          "difficulty.normal.start_frustration": 15})
    values = services.scenarios.form_values(edited)
    assert values["name"] == "Dee Malone" and values["difficulty.normal.start_frustration"] == 15
    (error,) = services.scenarios.check(SYSTEM, edited).errors
    assert error.field == "difficulty.normal.start_frustration"
    fixed = services.scenarios.apply_form(SYSTEM, edited, {"difficulty.normal.start_frustration": 7})
    persona = services.scenarios.check(SYSTEM, fixed).persona
    assert persona is not None and persona.name == "Dee Malone" and persona.difficulty.normal.start_frustration == 7
    with pytest.raises(PracticeError, match="not a form field"):
        services.scenarios.apply_form(SYSTEM, text, {"slug": "x"})
    with pytest.raises(PracticeError, match="syntax error"):
        services.scenarios.apply_form(SYSTEM, "a: [", {"name": "x"})


def test_test_chat_runs_the_draft_and_stores_nothing(services: Services) -> None:
    text = hostile_text(services)
    good = services.scenarios.test_chat(SYSTEM, text, difficulty="normal", agent_messages=agent_lines("hostile"))
    assert good.ended_reason == "resolved" and good.turns[0].role == "customer"
    rude = services.scenarios.test_chat(SYSTEM, text, difficulty="normal", agent_messages=agent_lines("rude"))
    assert rude.ended_reason == "walked_away"
    assert any(s.startswith("calm_down +") for t in rude.turns for s in t.signals)
    # An edit shows at once: a customer who never calms with apologies stays angrier.
    stubborn = text.replace("{when: apology, delta: -1}", "{when: apology, delta: -0.1}")
    line = ["I'm so sorry, that is completely unacceptable and I understand why you're angry."]
    before = services.scenarios.test_chat(SYSTEM, text, difficulty="normal", agent_messages=line)
    after = services.scenarios.test_chat(SYSTEM, stubborn, difficulty="normal", agent_messages=line)
    assert after.turns[1].frustration > before.turns[1].frustration
    assert services.review.browse(SYSTEM, ReviewFilters()).total == 0
    with pytest.raises(PracticeError, match="Fix the persona"):
        services.scenarios.test_chat(SYSTEM, "slug: x\n", difficulty="normal", agent_messages=[])
    with pytest.raises(PracticeError, match="Type a message"):
        services.scenarios.test_chat(SYSTEM, text, difficulty="normal", agent_messages=["  "])


def test_publishing_adds_a_version_and_old_sessions_keep_theirs(services: Services) -> None:
    ann = services.auth.create_user(SYSTEM, username="ann", role="trainee", password="password-1")
    tina = services.auth.create_user(SYSTEM, username="tina", role="trainer", password="password-2")
    v1 = services.practice.catalog.get("hostile")
    old = services.practice.start(ann, persona_slug="hostile", seed=3).finish()
    assert old is not None
    text = hostile_text(services).replace("{when: apology, delta: -1}", "{when: apology, delta: -4}")
    services.scenarios.save_draft(tina, "hostile", text)
    info = services.scenarios.publish(tina, text, note="apologies land harder")
    assert (info.version, info.by, info.source) == (2, "tina", "editor")
    assert services.scenarios.draft(tina, "hostile") is None  # publishing clears the draft
    new = services.practice.start(ann, persona_slug="hostile", seed=3).finish()
    assert new is not None
    sorry = "I'm so sorry about this."
    old_after = services.practice.send(ann, old.id, sorry).finish()
    new_after = services.practice.send(ann, new.id, sorry).finish()
    assert old_after is not None and new_after is not None
    engine = CustomerEngine(v1, "normal")
    expected_old = engine.react(engine.initial_state(), sorry, previous_customer=old.messages[0].content)
    assert old_after.messages[1].frustration == expected_old.state.frustration
    assert new_after.messages[1].frustration < old_after.messages[1].frustration
    versions = services.scenarios.versions(tina, "hostile")
    assert [(v.version, v.sessions) for v in versions] == [(2, 1), (1, 1)]
    assert versions[1].content_hash == version_hash(v1)
    with pytest.raises(PracticeError, match="same as version 2"):
        services.scenarios.publish(tina, text)
    with pytest.raises(PracticeError, match="Not published: difficulty"):
        services.scenarios.publish(tina, text.replace("sensitivity: 1.5", "sensitivity: 9"))
    with pytest.raises(AccessDenied):
        services.scenarios.publish(ann, text)


def test_import_a_new_persona_then_export_it(settings: Settings, services: Services) -> None:
    text = services.scenarios.template(SYSTEM, "hostile")
    assert "slug: new-customer-1" in text
    info = services.scenarios.publish(SYSTEM, text, source="import")
    assert (info.slug, info.version) == ("new-customer-1", 1)
    assert services.scenarios.version_yaml(SYSTEM, "new-customer-1") == text
    assert "new-customer-1" in [c.slug for c in services.practice.personas()]
    other = build_services(settings)  # another process sees the published version
    other.practice.catalog.refresh_seconds = 0
    view = other.practice.start(SYSTEM, persona_slug="new-customer-1", trainee="ann").finish()
    assert view is not None and view.persona_slug == "new-customer-1"
    with pytest.raises(PracticeError, match="No persona 'nobody'"):
        services.scenarios.version_yaml(SYSTEM, "nobody")
