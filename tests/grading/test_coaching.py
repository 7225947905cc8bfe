"""Coaching that fits the conversation: example lines per persona and criterion, chosen for what was written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from customer.engine import offer_policy
from grading.grader import grade
from grading.report import BetterLine, GradeReport, JudgeSummary
from grading.rubric import load_rubric
from grading.transcript import GradingContext, Line, Transcript
from personas import PersonaCatalog

#: Weak lines a trainee could send to anyone: canned, "calm down", policy-hiding, a non-apology.
WEAK = ["Calm down. I understand. Please provide your account number.",
        "I'm sorry you feel that way. It's policy, there is nothing I can do.",
        "Okay, noted. Anything else?"]
#: Words of the hostile persona's story (the washing-machine delivery).
DELIVERY_WORDS = re.compile(r"washing|depot|deliver(y|ies)|missed slot|Tuesday|Thursday|two days off|wages",
                            re.IGNORECASE)


def _graded(catalog: PersonaCatalog, slug: str, agent: list[str]) -> GradeReport:
    persona = catalog.get(slug)
    context = GradingContext(offer_policy(persona), persona.style.confused_by_jargon,
                             persona.style.max_sentence_words)
    messages: list[Line] = []
    for line in agent:
        messages += [Line("customer", "This is not good enough and I want it fixed."), Line("agent", line)]
    return grade(Transcript(slug, tuple(messages)), context).report


def _suggestions(report: GradeReport) -> list[str]:
    lines = [item.example for item in report.improve_first]
    return lines + ([report.better_line.better] if report.better_line else [])


@pytest.mark.parametrize("slug", ["discount-demander", "provocateur", "language-barrier", "technical-question",
                                  "long-wait", "policy-restriction", "threatening", "negative-review"])
def test_no_customer_is_coached_with_the_washing_machine_story(catalog: PersonaCatalog, slug: str) -> None:
    suggestions = _suggestions(_graded(catalog, slug, WEAK))
    assert len(suggestions) == 3
    assert not [s for s in suggestions if DELIVERY_WORDS.search(s)], suggestions


def test_every_persona_has_coaching_lines_for_every_criterion_that_can_apply(catalog: PersonaCatalog) -> None:
    from grading.coach import load_coaching

    rubric = load_rubric()
    for slug in catalog.personas:
        lines = load_coaching(slug)
        assert lines.persona == slug
        wanted = {c.id for c in rubric.criteria if c.applies.persona_flag is None}
        if catalog.get(slug).style.confused_by_jargon:
            wanted.add("language")
        assert wanted <= set(lines.lines), (slug, wanted - set(lines.lines))
        assert all(len(v) >= 2 for v in lines.lines.values()), slug


@pytest.mark.parametrize("slug", ["hostile", "discount-demander", "provocateur", "language-barrier",
                                  "technical-question", "long-wait", "policy-restriction", "threatening",
                                  "negative-review"])
def test_each_persona_gets_its_own_lines(catalog: PersonaCatalog, slug: str) -> None:
    from grading.coach import load_coaching

    report = _graded(catalog, slug, WEAK)
    own = load_coaching(slug).lines
    for item in report.improve_first:
        assert item.example in own[item.id], (slug, item)
    assert report.better_line is not None
    assert report.better_line.better in own[report.better_line.criterion or ""]


def test_a_turn_praised_under_what_went_well_is_never_rewritten(catalog: PersonaCatalog) -> None:
    report = _graded(catalog, "hostile", [
        "I'm so sorry we missed both deliveries and never called you. Calm down though.",
        "What's your order number?",
    ])
    praised = {w.turn for w in report.went_well if w.turn is not None}
    assert praised, report.went_well
    assert report.better_line is not None
    assert report.better_line.turn not in praised, (report.went_well, report.better_line)


def test_the_suggestion_is_chosen_for_what_was_written(catalog: PersonaCatalog) -> None:
    refund = _graded(catalog, "discount-demander", ["It's policy. I can't change your price, nothing I can do."])
    speed = _graded(catalog, "discount-demander", ["It's policy. I can't change the speed of your plan."])
    assert refund.better_line is not None and speed.better_line is not None
    assert refund.better_line.criterion == speed.better_line.criterion
    assert refund.better_line.better != speed.better_line.better


def test_a_broken_coaching_file_names_the_field_and_line() -> None:
    from grading.coach import parse_coaching

    text = "persona: hostile\nlines:\n  apology:\n    - \"Sorry.\"\n    - \"\"\n"
    with pytest.raises(ValueError, match=r"hostile.yaml: lines.apology.1 \(line 5\):"):
        parse_coaching(text, "hostile.yaml")
    with pytest.raises(ValueError, match=r"lines.apologise \(line 3\): 'apologise' is not a rubric criterion"):
        parse_coaching("persona: hostile\nlines:\n  apologise: [\"a\", \"b\"]\n", "hostile.yaml")
    with pytest.raises(ValueError, match=r"colour \(line 2\): Extra inputs are not permitted"):
        parse_coaching("persona: hostile\ncolour: red\nlines: {}\n", "hostile.yaml")


def test_a_judge_rewrite_of_a_praised_turn_is_replaced(catalog: PersonaCatalog) -> None:
    from grading.compose import build_report
    from grading.evidence import evidence_pass

    persona = catalog.get("hostile")
    context = GradingContext(offer_policy(persona), False, persona.style.max_sentence_words)
    transcript = Transcript("hostile", (
        Line("customer", "Nobody came. Again."),
        Line("agent", "I'm so sorry we missed both deliveries and never called you."),
        Line("customer", "And?"),
        Line("agent", "Calm down, it's policy."),
    ))
    rubric = load_rubric()
    evidence = evidence_pass(transcript, rubric, context)
    rewrite = BetterLine(turn=2, said=transcript.messages[1].content, criterion="apology", better="Sorry about that.",
                         source="judge")
    from grading.coach import load_coaching

    report = build_report(rubric, "v", evidence, verdicts=None, judge=JudgeSummary(status="ok", model="m"),
                          judge_rewrite=rewrite, coaching=load_coaching("hostile"))
    assert 2 in {w.turn for w in report.went_well}
    assert report.better_line is not None
    assert report.better_line.turn == 4 and report.better_line.source == "coaching example"


def test_workshop_references_become_plain_citations() -> None:
    from grading.citations import readable

    old_flag = ("critical: Caving beyond what the company can offer (001 Setting Your Limits; 003 Do #4: don't give "
                "in) (turn 6; overall capped at 30)")
    assert readable(old_flag) == (
        "critical: Caving beyond what the company can offer (Workshop: Setting your limits; Dos and don'ts of tough "
        "calls, do #4: don't give in) (turn 6; overall capped at 30)")
    assert readable("002 §9 (apologies); 004 steps 4 and 6") == (
        "Difficult situations in customer service, section 9 (apologies); Dealing with an irate customer, steps 4 "
        "and 6")
    for criterion in load_rubric().criteria:
        assert not re.search(r"\b00\d\b", readable(criterion.source)), criterion.source
    for critical in load_rubric().critical:
        assert not re.search(r"\b00\d\b", critical.why), critical.why


def test_every_example_line_shows_what_its_criterion_rewards(catalog: PersonaCatalog) -> None:
    """A suggested line, if the trainee used it, must cost nothing anywhere, and (nearly always) earn its criterion.

    Costs are strict: no suggestion may be penalised. Earning is read by classifiers whose recall is measured, not
    perfect (``make bench``), so at least 80% of the lines must be read as showing what they teach.
    """
    from grading.coach import GENERIC, load_coaching
    from signals import SignalKind, detect

    rubric = load_rubric()
    penalised = {rule.kind for c in rubric.criteria for rule in c.evidence.negative} | {
        c.kind for c in rubric.critical}
    problems: list[str] = []
    unearned: list[str] = []
    total = 0
    for slug in [GENERIC, *catalog.personas]:
        persona = catalog.personas.get(slug)
        barrier = bool(persona and persona.style.confused_by_jargon)
        costs = penalised if barrier else penalised - {SignalKind.JARGON, SignalKind.LONG_SENTENCE}
        for criterion_id, lines in load_coaching(slug).lines.items():
            rewarded = {rule.kind for rule in rubric.get(criterion_id).evidence.positive}
            for line in lines:
                found = detect(line, policy=offer_policy(persona) if persona else None,
                               max_sentence_words=persona.style.max_sentence_words if persona else 20).kinds
                total += 1
                if found & costs:
                    problems.append(f"{slug}.{criterion_id}: {line} ({sorted(k.value for k in found)})")
                if rewarded and not found & rewarded:
                    unearned.append(f"{slug}.{criterion_id}: {line} ({sorted(k.value for k in found)})")
    assert not problems, "\n".join(problems)
    assert len(unearned) <= 0.2 * total, "\n".join(unearned)


def test_a_broken_or_missing_file_falls_back_to_the_generic_lines(tmp_path: Path) -> None:
    from grading.coach import COACHING_DIR, GENERIC, load_coaching

    (tmp_path / f"{GENERIC}.yaml").write_text((COACHING_DIR / f"{GENERIC}.yaml").read_text())
    (tmp_path / "hostile.yaml").write_text("persona: hostile\nlines:\n  apology: [\"only one\"]\n")
    assert load_coaching("hostile", tmp_path).persona == GENERIC
    assert load_coaching("someone authored in the app", tmp_path).persona == GENERIC
    assert load_coaching("../hostile", COACHING_DIR).persona == GENERIC
    assert load_coaching("hostile").persona == "hostile"


def test_improve_first_follows_a_trainers_override(catalog: PersonaCatalog) -> None:
    """Once a trainer raised a criterion, "Improve these first" shows the decided level, marked, and drops a
    criterion raised to the top level (a walk found the machine's 0/3 still listed after an override to 2)."""
    from datetime import UTC, datetime

    from grading.report import Override

    report = _graded(catalog, "discount-demander", ["No.", "That's the price.", "Anything else?"])
    first, second = report.improve_first[:2]
    now = datetime.now(UTC)
    overrides = [Override(id=1, criterion_id=first.id, level=2, by="tina", reason="r", at=now),
                 Override(id=2, criterion_id=second.id, level=3, by="tina", reason="r", at=now)]
    decided = report.with_overrides(overrides)
    items = {item.id: item for item in decided.improve_first}
    assert items[first.id].level == 2 and items[first.id].overridden
    assert second.id not in items
    assert report.improve_first[0].level == first.level  # the stored report is not changed


def test_what_went_well_follows_a_trainers_override(catalog: PersonaCatalog) -> None:
    """A criterion a trainer lowered is no longer praised under "What went well" (a walk found "A sincere apology"
    praised beside its own "0/3 (overridden)")."""
    from datetime import UTC, datetime

    from grading.report import Override

    report = _graded(catalog, "hostile", ["I'm so sorry, Derek. Two missed slots is not acceptable.",
                                          "Could you give me your order number?"])
    assert report.went_well, report.criteria
    praised = report.went_well[0]
    lowered = report.with_overrides([Override(id=1, criterion_id=praised.id, level=1, by="tina", reason="late",
                                              at=datetime.now(UTC))])
    assert praised.id not in {w.id for w in lowered.went_well}
    assert praised.id in {w.id for w in report.went_well}  # the stored report is not changed
    # raised to the top by a trainer: praised too (a walk found it missing when everything was overridden to 3/3)
    below = next(c for c in report.criteria if c.level is not None and c.level < 3)
    raised = report.with_overrides([Override(id=2, criterion_id=below.id, level=3, by="tina", reason="it was fine",
                                             at=datetime.now(UTC))])
    assert below.id in {w.id for w in raised.went_well}
    assert below.id not in {w.id for w in report.went_well}
