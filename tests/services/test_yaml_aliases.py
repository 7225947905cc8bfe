"""YAML aliases are refused wherever a person submits YAML: a 20 KB persona whose ``hidden_facts`` reuse an anchored
list a thousand times expands to gigabytes once validated (the shape an attacker's probe used), and the same trick
works on a rubric. Refused before validation, in the editor's check, its form, its publish, a coaching file, the
offline rubric parser, and a version already stored (the catalog re-reads stored versions when it starts)."""

from __future__ import annotations

import tracemalloc

import pytest

from grading.coach import parse_coaching
from grading.rubric import RUBRIC_PATH, parse_rubric
from personas.loader import check_persona_text
from services import Actor, PracticeError, Services, build_services
from settings import Settings
from tests.conftest import ROOT, make_people

ALIAS = "aliases (*name) are not accepted"


def persona_bomb(copies: int = 1000) -> str:
    """hostile.yaml with its known facts anchored and reused ``copies`` times as further hidden facts' examples."""
    text = (ROOT / "personas" / "hostile.yaml").read_text(encoding="utf-8")
    text = text.replace("slug: hostile", "slug: bomb").replace("  known_facts:\n", "  known_facts: &K\n", 1)
    extra = "".join(f"    - {{id: x{i}, fact: X., asked_by: [x{i}], line: X., examples: *K}}\n" for i in range(copies))
    return text.replace("  hidden_facts:\n", "  hidden_facts:\n" + extra, 1)


def rubric_bomb(copies: int = 500) -> str:
    text = RUBRIC_PATH.read_text(encoding="utf-8")
    return "notes: &N [" + ", ".join(["padding text"] * 40) + "]\n" + text + \
        "".join(f"extra{i}: *N\n" for i in range(copies))


@pytest.fixture
def services(settings: Settings) -> Services:
    return build_services(settings)


def test_the_payload_is_refused_by_the_persona_check_without_expanding() -> None:
    text = persona_bomb()
    assert len(text) < 100_000
    tracemalloc.start()
    check = check_persona_text(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert check.persona is None and ALIAS in check.errors[0].message
    assert check.errors[0].line is not None  # the editor points at the first alias
    assert peak < 50 * 2**20


def test_every_editor_refuses_aliases_before_validating(services: Services) -> None:
    people = make_people(services)
    tina, root = people["tina"], people["root"]
    assert isinstance(tina, Actor) and isinstance(root, Actor)
    check = services.scenarios.check(tina, persona_bomb())
    assert check.persona is None and ALIAS in check.errors[0].message
    with pytest.raises(PracticeError):
        services.scenarios.publish(tina, persona_bomb())
    with pytest.raises(PracticeError, match="syntax error"):
        services.scenarios.apply_form(tina, persona_bomb(), {"name": "X"})
    assert services.scenarios.form_values(persona_bomb()) == {}
    rubric = services.rubrics.check(root, rubric_bomb())
    assert ALIAS in " ".join(e.message for e in rubric.errors)
    with pytest.raises(PracticeError):
        services.rubrics.publish(root, rubric_bomb())
    assert services.rubrics.form_values(rubric_bomb()) == {}


def test_offline_parsers_refuse_aliases() -> None:
    with pytest.raises(ValueError, match="line"):
        parse_rubric(rubric_bomb(), "bomb.yaml")
    with pytest.raises(ValueError, match="line"):
        parse_coaching("a: &A [x]\nlines:\n  acknowledge: *A\n", "bomb.yaml")


def test_a_stored_alias_version_is_skipped_when_the_catalog_starts(settings: Settings) -> None:
    """Stored before this check existed (or written to the database by hand): the catalog leaves it out and says
    so, and the other personas keep working."""
    from db.repositories import Work

    services = build_services(settings)
    with Work(services.practice.sessions)() as uow:
        uow.personas.add_version(slug="bomb", yaml_text=persona_bomb(), content_hash="x" * 16, source="editor",
                                 note=None, by_user_id=None, by_username="mallory")
        uow.commit()
    fresh = build_services(settings)
    assert "bomb" not in fresh.practice.catalog.personas and "hostile" in fresh.practice.catalog.personas
    assert any("bomb" in skipped.message and ALIAS in skipped.message for skipped in fresh.practice.catalog.unreadable)
