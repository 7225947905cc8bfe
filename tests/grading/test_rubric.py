from __future__ import annotations

import re

import pytest

from grading.rubric import RUBRIC_PATH, load_rubric, parse_rubric, rubric_hash

EXPECTED = {"acknowledge", "apology", "no_canned", "paraphrase", "diagnose", "common_ground", "ownership",
            "bad_news", "limits", "emotions", "language", "mediation", "closing"}


def test_rubric_covers_the_workshop_and_names_its_sources() -> None:
    rubric = load_rubric()
    assert {c.id for c in rubric.criteria} == EXPECTED
    for c in rubric.criteria:
        assert re.search(r"\b00[0-4]\b", c.source), c.id
        assert set(c.levels) == {0, 1, 2, 3}
        assert all(level.examples for level in c.levels.values())
    assert 0 < rubric.pass_mark <= 100


def _text() -> str:
    return RUBRIC_PATH.read_text()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("pass_mark: 70", "pass_mark: 170"), "pass_mark: Input should be less than or equal"),
        (lambda t: t.replace("- {kind: non_apology, penalty: 2}", "- {kind: rudeness, penalty: 2}"),
         "criteria.1.evidence.negative.0.kind"),
        (lambda t: t.replace("  - id: apology", "  - id: acknowledge"), "ids must be unique"),
        (lambda t: t.replace("    weight: 1.5\n", "    weight: 1.5\n    colour: red\n", 1), "colour: Extra inputs"),
    ],
)
def test_broken_rubric_names_the_field(edit: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_rubric(edit(_text()))  # type: ignore[operator]


def test_hash_is_stable_and_content_sensitive() -> None:
    rubric = load_rubric()
    assert rubric_hash(rubric) == rubric_hash(parse_rubric(_text()))
    assert rubric_hash(rubric) != rubric_hash(parse_rubric(_text().replace("pass_mark: 70", "pass_mark: 75")))
