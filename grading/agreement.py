"""How far the grader agrees with trainers, per criterion: pure, from judged pairs (the grader's level and a
trainer's level for one criterion of one chat).

* **Quadratic-weighted Cohen's kappa** over the levels 0-3: ``1 - sum(w * observed) / sum(w * expected)`` with
  ``w = (i - j)^2``, ``observed`` the confusion counts and ``expected`` the counts the two margins would give by
  chance. 1 is perfect agreement, 0 what chance gives; a miss by two levels costs four times a miss by one.
  Undefined (``None``) when the pairs show nothing about telling levels apart: fewer than two of them, or every pair
  the same (the grader always on one level and the trainer always on one level; the formula would give 1 when the
  two levels are equal, and 0 when they differ).
* **Exact agreement**: the share of pairs on the same level.
* **Confusion**: counts, grader level (rows) x trainer level (columns).

A criterion is **trusted** once trainers judged it on at least ``min_judged`` chats and kappa is at least
``threshold``. Chats where the grader found the criterion not applicable but a trainer gave a level count as
judged and disagreeing: they are kept apart (``not_applicable``) because kappa needs a level on both sides.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from grading.rubric import MAX_LEVEL

LEVELS = tuple(range(MAX_LEVEL + 1))
DEFAULT_MIN_JUDGED = 30
DEFAULT_THRESHOLD = 0.6


@dataclass(frozen=True)
class JudgedPair:
    """The newest trainer judgement of one criterion of one chat, beside the grader's level."""

    session_id: int
    criterion_id: str
    grader: int | None
    trainer: int
    source: str = "override"
    by: str = ""
    at: datetime | None = None
    rubric_number: int = 1

    @property
    def gap(self) -> int:
        """How far apart the two levels are (a grader's "not applicable" counts as the whole scale)."""
        return MAX_LEVEL if self.grader is None else abs(self.grader - self.trainer)


Confusion = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class CriterionAgreement:
    id: str
    name: str
    judged: int
    kappa: float | None
    exact: float | None
    trusted: bool
    confusion: Confusion
    #: Judged chats where the grader said "not applicable" and a trainer gave a level.
    not_applicable: int = 0

    def contract(self) -> dict[str, object]:
        return {"id": self.id, "judged": self.judged, "kappa": None if self.kappa is None else round(self.kappa, 4),
                "exact": None if self.exact is None else round(self.exact, 4), "trusted": self.trusted,
                "confusion": [list(row) for row in self.confusion], "not_applicable": self.not_applicable}


def confusion(pairs: Iterable[tuple[int, int]]) -> Confusion:
    table = [[0] * len(LEVELS) for _ in LEVELS]
    for grader, trainer in pairs:
        table[grader][trainer] += 1
    return tuple(tuple(row) for row in table)


def quadratic_kappa(pairs: Sequence[tuple[int, int]]) -> float | None:
    """Quadratic-weighted Cohen's kappa of (grader, trainer) level pairs; None when undefined (see above)."""
    n = len(pairs)
    if len(set(pairs)) < 2:
        return None
    observed = confusion(pairs)
    rows = [sum(r) for r in observed]
    cols = [sum(observed[i][j] for i in LEVELS) for j in LEVELS]
    disagreement = sum((i - j) ** 2 * observed[i][j] for i in LEVELS for j in LEVELS)
    chance = sum((i - j) ** 2 * rows[i] * cols[j] / n for i in LEVELS for j in LEVELS)  # > 0: two pairs differ
    return 1 - disagreement / chance


def exact_agreement(pairs: Sequence[tuple[int, int]]) -> float | None:
    return sum(g == t for g, t in pairs) / len(pairs) if pairs else None


def newest_per_chat(judgements: Iterable[JudgedPair]) -> list[JudgedPair]:
    """One pair per chat and criterion: the newest judgement wins (judgements come oldest first)."""
    latest: dict[tuple[int, str], JudgedPair] = {}
    for j in judgements:
        latest[(j.session_id, j.criterion_id)] = j
    return list(latest.values())


def agreement_of(criterion_id: str, name: str, pairs: Sequence[JudgedPair], *,
                 min_judged: int = DEFAULT_MIN_JUDGED, threshold: float = DEFAULT_THRESHOLD) -> CriterionAgreement:
    levelled = [(p.grader, p.trainer) for p in pairs if p.grader is not None]
    kappa = quadratic_kappa(levelled)
    judged = len(pairs)
    exact = sum(p.grader == p.trainer for p in pairs) / judged if judged else None
    trusted = judged >= min_judged and kappa is not None and kappa >= threshold
    return CriterionAgreement(criterion_id, name, judged, kappa, exact, trusted, confusion(levelled),
                              judged - len(levelled))


def agreement(criteria: Sequence[tuple[str, str]], judgements: Iterable[JudgedPair], *,
              min_judged: int = DEFAULT_MIN_JUDGED, threshold: float = DEFAULT_THRESHOLD) -> list[CriterionAgreement]:
    """Per criterion (``(id, name)`` in rubric order): the newest judgement of each chat against the grader."""
    by_criterion: dict[str, list[JudgedPair]] = {cid: [] for cid, _ in criteria}
    for p in newest_per_chat(judgements):
        by_criterion.setdefault(p.criterion_id, []).append(p)
    names = dict(criteria)
    return [agreement_of(cid, names.get(cid, cid), pairs, min_judged=min_judged, threshold=threshold)
            for cid, pairs in by_criterion.items()]


def trend(judgements: Sequence[JudgedPair], criterion_id: str, *, points: int = 20) -> list[tuple[int, float | None]]:
    """Kappa of one criterion as judgements arrived: (chats judged so far, kappa then), at most ``points`` steps."""
    ordered = [j for j in judgements if j.criterion_id == criterion_id]
    if not ordered:
        return []
    step = max(1, len(ordered) // points)
    out = []
    for end in [*range(step, len(ordered), step), len(ordered)]:
        pairs = newest_per_chat(ordered[:end])
        out.append((len(pairs), quadratic_kappa([(p.grader, p.trainer) for p in pairs if p.grader is not None])))
    return out


def most_disputed(judgements: Iterable[JudgedPair], limit: int = 20) -> list[JudgedPair]:
    """The chats where grader and trainers disagree most: the largest gaps first, newest first among equals."""
    pairs = [p for p in newest_per_chat(judgements) if p.gap > 0]
    return sorted(pairs, key=lambda p: (-p.gap, -(p.at.timestamp() if p.at else 0), -p.session_id))[:limit]
