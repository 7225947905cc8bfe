"""Trust in the grader: trainers' judgements of single criteria, the agreement they give per rubric version, which
criteria are trusted, and the Calibration page's figures (trainers and admins).

A judgement is recorded by every override, by a trainer confirming a level, by a certification review (it confirms
the levels of the attempt's chats as they stand, after any override) and by a decided dispute. Judgements carry
over to a newer rubric version for each criterion whose definition (when it applies, its evidence rules, its level
descriptions) is unchanged: only a criterion that was changed starts earning trust again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import Grade, GradeOverride
from db.repositories import UnitOfWork, Work
from db.repositories.grades import report_of
from grading.agreement import CriterionAgreement, JudgedPair, agreement, most_disputed, trend
from grading.rubric import Criterion, Rubric
from services.access import can_read, require
from services.auth import Actor
from services.catalog import LiveCatalog
from services.export import csv_text
from services.permissions import Permission
from services.permissions import require as require_permission
from services.rubrics import LiveRubric
from services.scores import decided_criterion, decided_report
from services.views import PracticeError
from settings import Settings


@dataclass(frozen=True)
class AgreementTable:
    rubric_number: int
    criteria: tuple[CriterionAgreement, ...]
    min_judged: int
    threshold: float
    #: Rubric versions there are figures for (the current one included).
    versions: tuple[int, ...]

    @property
    def trusted(self) -> frozenset[str]:
        return frozenset(c.id for c in self.criteria if c.trusted)

    def contract(self) -> dict[str, object]:
        """What ``python -m grading agreement --json`` prints."""
        return {"rubric_version": self.rubric_number, "min_judged": self.min_judged, "kappa_threshold": self.threshold,
                "criteria": [c.contract() for c in self.criteria]}

    def csv(self) -> str:
        """The Calibration page's download. Criterion names are written by trainers, so every cell goes through
        :func:`csv_text`; kappa and exact are Decimals (numbers, 4 places) so a negative kappa stays a number."""
        def fixed(value: float | None) -> Decimal | str:
            return "" if value is None else Decimal(f"{value:.4f}")

        return csv_text(["rubric_version", "criterion", "name", "judged", "kappa", "exact", "trusted",
                         "not_applicable", "confusion (grader rows 0-3 x trainer columns 0-3)"],
                        ([self.rubric_number, c.id, c.name, c.judged, fixed(c.kappa), fixed(c.exact),
                          "yes" if c.trusted else "no", c.not_applicable, json.dumps([list(r) for r in c.confusion])]
                         for c in self.criteria), lineterminator="\r\n")


@dataclass(frozen=True)
class Disagreement:
    session_id: int
    trainee: str
    persona: str
    criterion_id: str
    criterion: str
    grader: int | None
    trainer: int
    source: str
    by: str
    at: datetime | None


def definition(criterion: Criterion) -> str:
    """What makes a criterion's levels what they are (not its weight or title): equal definitions share trust."""
    body = criterion.model_dump(mode="json", include={"description", "applies", "evidence", "levels"}, by_alias=True)
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def record_judgement(uow: UnitOfWork, grade: Grade, criterion_id: str, level: int, *, source: str, by: str,
                     override_id: int | None = None, at: datetime | None = None) -> None:
    """A trainer's level for one criterion of ``grade``, beside the grader's (in the caller's unit of work)."""
    report = report_of(grade)
    graded = report.find(criterion_id)
    if graded is None:
        return
    row = uow.calibration.add_judgement(session_id=grade.session_id, grade_id=grade.id, criterion_id=criterion_id,
                                        rubric_number=report.rubric_number or 1, grader_level=graded.level,
                                        level=level, source=source, by=by, override_id=override_id)
    if at is not None:
        row.created_at = at


def record_review_in(uow: UnitOfWork, session_ids: Iterable[int], by: str) -> int:
    """A certification reviewer's decision confirms each chat's levels as they stand (after any override)."""
    count = 0
    for session_id in session_ids:
        grade = uow.grades.latest(session_id)
        if grade is None:
            continue
        for c in decided_report(grade, uow.grades.overrides(grade.id)).criteria:
            if c.level is not None:
                record_judgement(uow, grade, c.id, c.level, source="review", by=by)
                count += 1
    return count


class CalibrationService:
    def __init__(self, settings: Settings, catalog: LiveCatalog, sessions: sessionmaker[Session],
                 rubric: LiveRubric) -> None:
        self.settings = settings
        self.catalog = catalog
        self.sessions = sessions
        self.work = Work(sessions)
        self.rubric = rubric

    def record_past_overrides(self) -> int:
        """Start-up: overrides stored before judgements were recorded become judgements (audited, once)."""
        done = 0
        while True:
            with self.work() as uow:
                pending = uow.calibration.overrides_without_judgement()
                if not pending:
                    return done

                def change(rows: Sequence[GradeOverride] = pending) -> int:
                    for o in rows:
                        grade = uow.grades.get(o.grade_id)
                        if grade is not None:
                            record_judgement(uow, grade, o.criterion_id, o.level, source="override",
                                             by=o.by_username, override_id=o.id, at=o.created_at)
                    return len(rows)

                try:
                    done += uow.commit(change)
                except IntegrityError:  # another process recorded them at the same moment (the unique override id)
                    uow.db.rollback()
                    return done

    def _rubric(self, number: int | None) -> Rubric:
        current = self.rubric.current()
        if number is None or number == current.version:
            return current.rubric
        found = self.rubric.version(number)
        if found is None:
            raise PracticeError(f"There is no rubric version {number}.")
        return found.rubric

    def pairs_in(self, uow: UnitOfWork, rubric: Rubric) -> list[JudgedPair]:
        """Every judgement that speaks to ``rubric``'s criteria: its own, and earlier versions' for each criterion
        whose definition is unchanged. Oldest first."""
        wanted = {c.id: definition(c) for c in rubric.criteria}
        same: dict[int, set[str]] = {}
        for number in uow.calibration.rubric_numbers():
            other = self._rubric(number) if number != rubric.version else rubric
            same[number] = {c.id for c in other.criteria if wanted.get(c.id) == definition(c)}
        return [p for p in uow.calibration.judgements() if p.criterion_id in same.get(p.rubric_number, set())]

    def table_in(self, uow: UnitOfWork, rubric: Rubric) -> AgreementTable:
        pairs = self.pairs_in(uow, rubric)
        rows = agreement([(c.id, c.name) for c in rubric.criteria], pairs,
                         min_judged=self.settings.trust_min_judged, threshold=self.settings.trust_kappa)
        known = {rubric.version, self.rubric.current().version, *uow.calibration.rubric_numbers()}
        return AgreementTable(rubric.version, tuple(rows), self.settings.trust_min_judged, self.settings.trust_kappa,
                              tuple(sorted(known)))

    def agreement(self, actor: Actor, rubric_number: int | None = None) -> AgreementTable:
        require_permission(actor, Permission.SEE_CALIBRATION)
        rubric = self._rubric(rubric_number)
        with self.work() as uow:
            return self.table_in(uow, rubric)

    def trend(self, actor: Actor, criterion_id: str, rubric_number: int | None = None
              ) -> list[tuple[int, float | None]]:
        """(chats judged so far, kappa then), as judgements arrived."""
        require_permission(actor, Permission.SEE_CALIBRATION)
        rubric = self._rubric(rubric_number)
        with self.work() as uow:
            return trend(self.pairs_in(uow, rubric), criterion_id)

    def disagreements(self, actor: Actor, rubric_number: int | None = None, limit: int = 20) -> list[Disagreement]:
        """The chats (the actor may read) where grader and trainers disagree most."""
        require_permission(actor, Permission.SEE_CALIBRATION)
        rubric = self._rubric(rubric_number)
        names = {c.id: c.name for c in rubric.criteria}
        out: list[Disagreement] = []
        with self.work() as uow:
            for p in most_disputed(self.pairs_in(uow, rubric), limit=10 * limit):
                row = uow.sessions.get(p.session_id)
                if row is None or not can_read(actor, row, self.settings):
                    continue
                persona = self.catalog.personas.get(row.persona_slug)
                out.append(Disagreement(p.session_id, row.trainee, persona.name if persona else row.persona_slug,
                                        p.criterion_id, names.get(p.criterion_id, p.criterion_id), p.grader,
                                        p.trainer, p.source, p.by, p.at))
                if len(out) == limit:
                    break
        return out

    def trusted_in(self, uow: UnitOfWork, rubric: Rubric) -> frozenset[str]:
        """The criteria of ``rubric`` the grader may decide alone (certification; no actor: the system asks)."""
        return self.table_in(uow, rubric).trusted

    def confirm(self, actor: Actor, session_id: int, criterion_id: str) -> None:
        """A trainer agrees with a criterion's level as it stands on the newest grade (a judgement, audited)."""
        require_permission(actor, Permission.OVERRIDE_GRADES, "confirm a level")
        with self.work() as uow:
            row = uow.sessions.get(session_id)
            require(row, session_id, row is not None and can_read(actor, row, self.settings))
            grade = uow.grades.latest(session_id)
            if grade is None:
                raise PracticeError("This chat has no grade to confirm yet.")
            graded = decided_criterion(uow.grades, grade, criterion_id)
            if graded is None:
                raise PracticeError(f"Unknown criterion '{criterion_id}'.")
            if graded.level is None:
                raise PracticeError("The grader found this criterion not applicable: override it to give it a level.")
            level = graded.level
            uow.commit(lambda: record_judgement(uow, grade, criterion_id, level, source="confirm",
                                                by=actor.username))
