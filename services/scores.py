"""The score of record: a session's newest grade as trainers decided it, with their overrides applied.

Grades and overrides are append-only; the decision is computed from them in code (``GradeReport.with_overrides``)
wherever a score is shown (report, Review, My progress, Analytics, exports), so every place agrees. The session
row also carries the decided overall (``latest_overall``) for the browser's filters and sorts: an override updates
it in the same transaction that stores the override. Whether a grade was overridden is read from the override rows
of the grades on screen (one indexed query per page), so nothing else is denormalised.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from db.models import Grade, GradeOverride
from db.repositories.grades import GradeRepository, report_of
from grading.report import CriterionGrade, GradeReport, Override
from grading.rubric import load_rubric

#: What a table cell shows for a chat without a grade (never a raw "None").
NOT_GRADED = "—"


@dataclass(frozen=True)
class CriterionDecision:
    id: str
    title: str
    #: The decided level (None: not applicable); ``machine_level`` is what the grader gave.
    level: int | None
    machine_level: int | None
    overridden: bool


@dataclass(frozen=True)
class Decision:
    """A session's score of record. ``criteria`` is empty unless asked for (it needs the stored report)."""

    grade_id: int
    overall: int
    passed: bool
    overridden: bool
    #: The grade's status: ``final`` or ``needs_review`` (the judge failed).
    status: str
    flags: int
    criteria: tuple[CriterionDecision, ...] = ()

    @property
    def label(self) -> str:
        return score_label(self.overall, self.overridden)


def score_label(overall: int | None, overridden: bool = False) -> str:
    """A score as a table shows it: "72", "4 (overridden)", or a dash for no grade."""
    if overall is None:
        return NOT_GRADED
    return f"{overall} (overridden)" if overridden else str(overall)


def yes_no(value: bool | None) -> str:
    return NOT_GRADED if value is None else ("yes" if value else "no")


@cache
def criterion_titles() -> dict[str, str]:
    """Criterion id -> the rubric's title for it (its ``name``)."""
    return {c.id: c.name for c in load_rubric().criteria}


def override_records(rows: Sequence[GradeOverride]) -> list[Override]:
    return [Override(id=o.id, criterion_id=o.criterion_id, level=o.level, reason=o.reason, by=o.by_username,
                     at=o.created_at) for o in rows]


def decided_report(grade: Grade, overrides: Sequence[GradeOverride]) -> GradeReport:
    """The stored report with the overrides applied (against the report's own pass mark)."""
    return report_of(grade).with_overrides(override_records(overrides))


def decided_criterion(repository: GradeRepository, grade: Grade, criterion_id: str) -> CriterionGrade | None:
    """One criterion of ``grade`` as trainers decided it (None: the grade has no criterion of that id)."""
    return decided_report(grade, repository.overrides(grade.id)).find(criterion_id)


def decided_overall(grade: Grade, overrides: Sequence[GradeOverride]) -> int:
    return decided_report(grade, overrides).overall if overrides else grade.overall


def decide(grade: Grade, overrides: Sequence[GradeOverride], *, criteria: bool = False) -> Decision:
    if not overrides and not criteria:
        return Decision(grade.id, grade.overall, grade.passed, False, grade.status, grade.flags_count)
    report = decided_report(grade, overrides)
    titles = criterion_titles()
    rows = tuple(CriterionDecision(c.id, titles.get(c.id, c.name), c.level, c.machine_level, c.override is not None)
                 for c in report.criteria) if criteria else ()
    return Decision(grade.id, report.overall, report.passed, bool(overrides), grade.status, grade.flags_count, rows)


def decisions(repository: GradeRepository, grades: Iterable[Grade | None], *, criteria: bool = False
              ) -> dict[int, Decision]:
    """Grade id -> its decision, for every grade given (None entries are skipped)."""
    present = [g for g in grades if g is not None]
    overrides = repository.overrides_by_grade(g.id for g in present)
    return {g.id: decide(g, overrides.get(g.id, []), criteria=criteria) for g in present}
