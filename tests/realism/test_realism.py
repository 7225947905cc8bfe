"""The realism suite: scripts written by people who never saw the persona files, against the scripted customer.

The data (tests/realism/data) was written before the customer was tuned and is not edited afterwards; these are the
issue's targets on it.  ``make bench`` prints the same figures for every difficulty.
"""

from __future__ import annotations

import pytest

from customer.realism import DEMANDING, SuiteResult, load_suite, run_suite
from personas import PersonaCatalog


@pytest.fixture(scope="module")
def result(catalog: PersonaCatalog) -> SuiteResult:
    suite = load_suite()
    return run_suite({f.persona: catalog.get(f.persona) for f in suite}, suite)


def test_the_suite_covers_every_persona_class_style_and_fact(catalog: PersonaCatalog) -> None:
    suite = {f.persona: f for f in load_suite()}
    # One customer per script: a dispute's two customers are played by tests/customer/test_dispute.py instead.
    assert set(suite) == {slug for slug, p in catalog.personas.items() if p.dispute is None}
    for slug, file in suite.items():
        for kind in ("excellent", "stonewall", "rude", "caving"):
            assert len({s.style for s in file.scripts if s.kind == kind}) >= 3, (slug, kind)
        asked = {q.fact: len(q.asks) for q in file.questions}
        assert asked == {f.id: 3 for f in catalog.get(slug).scenario.hidden_facts}, slug


def test_excellent_agents_resolve_at_least_seven_customers_in_every_style(result: SuiteResult) -> None:
    for style in result.styles:
        done, total = result.resolved_personas(style)
        unresolved = [(c.persona, c.ended_reason, c.final.stage.value) for c in result.of("excellent")
                      if c.script.style == style and not c.resolved]
        assert total == 9 and done >= 7, (style, unresolved)


def test_questions_about_hidden_facts_are_answered_at_least_80_percent(result: SuiteResult) -> None:
    answered, asked = result.answered
    missed = [(q.persona, q.fact, q.question) for q in result.questions if not q.answered]
    assert asked == 81 and answered / asked >= 0.8, missed


def test_caving_never_satisfies_a_demanding_customer_within_two_turns(result: SuiteResult) -> None:
    assert {c.persona for c in result.of("caving")} >= DEMANDING
    assert result.quick_satisfied_caving() == []


def test_no_customer_reply_is_repeated_word_for_word(result: SuiteResult) -> None:
    assert [(c.persona, c.script.id, c.repeated_lines) for c in result.with_repeats()] == []


def test_the_classes_end_where_a_trainer_would_expect(result: SuiteResult) -> None:
    excellent, stonewall, rude, caving = (result.mean_final(k) for k in ("excellent", "stonewall", "rude", "caving"))
    assert excellent < 2 < caving < stonewall and caving < rude
    assert stonewall >= 8 and rude >= 8
