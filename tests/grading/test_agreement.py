"""Agreement between grader and trainers: quadratic-weighted kappa on hand-made cases with known values."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from grading.agreement import (
    JudgedPair,
    agreement,
    agreement_of,
    confusion,
    exact_agreement,
    most_disputed,
    newest_per_chat,
    quadratic_kappa,
    trend,
)


def pairs(*levels: tuple[int, int]) -> list[JudgedPair]:
    return [JudgedPair(i, "apology", g, t) for i, (g, t) in enumerate(levels, 1)]


def test_perfect_agreement_is_one_and_chance_level_agreement_is_zero() -> None:
    assert quadratic_kappa([(0, 0), (1, 1), (2, 2), (3, 3)]) == pytest.approx(1.0)
    # grader 0,0,1,1 against trainer 0,1,0,1: the observed misses equal what the margins give by chance
    assert quadratic_kappa([(0, 0), (0, 1), (1, 0), (1, 1)]) == pytest.approx(0.0)


def test_hand_calculated_kappas() -> None:
    # observed (0,0) (1,1) (2,3) (3,3); rows 1,1,1,1; columns 1,1,0,2; n = 4.
    # disagreement = (2-3)^2 = 1; chance = 1/4 * sum_j c_j * sum_i (i-j)^2 = 1/4 * (14 + 6 + 0 + 2*14) = 12
    assert quadratic_kappa([(0, 0), (1, 1), (2, 3), (3, 3)]) == pytest.approx(1 - 1 / 12)
    # observed (3,3) (3,2) (1,1) (1,0); rows r1 = 2, r3 = 2; columns 1,1,1,1.
    # disagreement = 1 + 1 = 2; chance = 1/4 * (2 * (1+0+1+4) + 2 * (9+4+1+0)) = 10
    assert quadratic_kappa([(3, 3), (3, 2), (1, 1), (1, 0)]) == pytest.approx(0.8)
    # opposite ends of the scale: disagreement = 9 + 9 = 18; chance = 1/2 * (9 + 9) = 9; kappa = 1 - 18/9
    assert quadratic_kappa([(0, 3), (3, 0)]) == pytest.approx(-1.0)


def test_a_two_level_miss_costs_four_times_a_one_level_miss() -> None:
    base = [(0, 0), (1, 1), (2, 2), (3, 3)] * 5
    one = quadratic_kappa([*base, (1, 2)])
    two = quadratic_kappa([*base, (1, 3)])
    assert one is not None and two is not None and two < one


def test_kappa_is_undefined_when_everything_falls_on_one_level() -> None:
    assert quadratic_kappa([(3, 3)] * 40) is None
    assert quadratic_kappa([]) is None
    assert not agreement_of("apology", "A sincere apology", pairs(*[(3, 3)] * 40)).trusted


def test_kappa_is_undefined_for_one_judgement_or_one_pair_of_levels_repeated() -> None:
    """One chat judged, or every chat judged alike (the grader always 3, the trainer always 1): nothing shows how
    the two tell levels apart, though the formula would give 0 (the Calibration page's legend promises a dash)."""
    assert quadratic_kappa([(3, 1)]) is None
    assert quadratic_kappa([(2, 0)] * 5) is None
    assert agreement_of("apology", "A sincere apology", pairs((3, 0))).kappa is None
    assert quadratic_kappa([(3, 1), (3, 2)]) == pytest.approx(0.0)  # the trainer's levels vary: measured, chance


def test_matches_a_second_independent_formula_on_random_data() -> None:
    """The textbook form, weights normalised by (k-1)^2 and the expected table as an outer product."""
    rng = random.Random(5)
    for _ in range(50):
        data = [(rng.randrange(4), rng.randrange(4)) for _ in range(rng.randrange(2, 60))]
        n = len(data)
        observed = [[sum(1 for g, t in data if (g, t) == (i, j)) / n for j in range(4)] for i in range(4)]
        rows = [sum(observed[i]) for i in range(4)]
        cols = [sum(observed[i][j] for i in range(4)) for j in range(4)]
        w = [[(i - j) ** 2 / 9 for j in range(4)] for i in range(4)]
        num = sum(w[i][j] * observed[i][j] for i in range(4) for j in range(4))
        den = sum(w[i][j] * rows[i] * cols[j] for i in range(4) for j in range(4))
        expected = None if den == 0 or len(set(data)) < 2 else 1 - num / den  # one pair repeated: undefined
        got = quadratic_kappa(data)
        assert (got is None) == (expected is None)
        if got is not None:
            assert got == pytest.approx(expected)


def test_exact_agreement_and_confusion_table() -> None:
    data = [(3, 3), (3, 2), (1, 1), (1, 0)]
    assert exact_agreement(data) == 0.5
    assert confusion(data) == ((0, 0, 0, 0), (1, 1, 0, 0), (0, 0, 0, 0), (0, 0, 1, 1))


def test_the_newest_judgement_of_a_chat_decides() -> None:
    first = JudgedPair(7, "apology", 2, 0, by="tina")
    later = JudgedPair(7, "apology", 2, 2, by="root")
    other = JudgedPair(8, "apology", 1, 1)
    assert newest_per_chat([first, other, later]) == [later, other]


def test_trusted_needs_enough_chats_and_kappa_at_the_threshold() -> None:
    good = [(0, 0), (1, 1), (2, 2), (3, 3), (2, 3)]
    thirty = pairs(*(good * 6))
    assert len(thirty) == 30
    result = agreement_of("apology", "A sincere apology", thirty, min_judged=30, threshold=0.6)
    assert result.judged == 30 and result.kappa is not None and result.kappa > 0.9 and result.trusted
    assert not agreement_of("apology", "x", thirty[:29], min_judged=30, threshold=0.6).trusted
    kappa = result.kappa
    assert agreement_of("apology", "x", thirty, min_judged=30, threshold=kappa).trusted  # at the threshold
    assert not agreement_of("apology", "x", thirty, min_judged=30, threshold=kappa + 1e-9).trusted


def test_not_applicable_by_the_grader_counts_as_judged_but_not_in_kappa() -> None:
    data = [*pairs((3, 3), (1, 1), (2, 2)), JudgedPair(99, "apology", None, 2)]
    result = agreement_of("apology", "x", data, min_judged=1, threshold=0.6)
    assert result.judged == 4 and result.not_applicable == 1
    assert result.kappa == pytest.approx(1.0) and result.exact == pytest.approx(0.75)


def test_agreement_lists_every_criterion_in_rubric_order() -> None:
    data = [JudgedPair(1, "limits", 2, 2), JudgedPair(1, "apology", 3, 1)]
    rows = agreement([("apology", "A sincere apology"), ("acknowledge", "Listening"), ("limits", "Limits")], data)
    assert [(r.id, r.judged) for r in rows] == [("apology", 1), ("acknowledge", 0), ("limits", 1)]
    assert rows[1].kappa is None and rows[1].exact is None and not rows[1].trusted


def test_trend_follows_judgements_as_they_arrive_and_disagreements_come_largest_first() -> None:
    start = datetime(2026, 11, 1)
    data = [JudgedPair(i, "apology", g, t, at=start + timedelta(hours=i))
            for i, (g, t) in enumerate([(0, 0), (3, 3), (1, 1), (2, 2), (3, 0), (2, 1)], 1)]
    points = trend(data, "apology", points=6)
    assert [n for n, _ in points] == [1, 2, 3, 4, 5, 6]
    assert points[3][1] == pytest.approx(1.0) and (points[4][1] or 1) < 1.0
    worst = most_disputed(data)
    assert [(p.session_id, p.gap) for p in worst] == [(5, 3), (6, 1)]
