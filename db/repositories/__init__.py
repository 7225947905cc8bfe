"""Repositories, one per aggregate, and the unit of work that holds them for one use case.

A repository holds its aggregate's queries and the detail of its JSON columns; it adds, changes and flushes but
never commits. A use case opens one :class:`UnitOfWork`, calls repositories (and other services' ``*_in``
methods, which take the same unit of work) and commits once, with :meth:`UnitOfWork.commit`. Nothing about
Streamlit here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db import audit
from db.repositories.calibration import CalibrationRepository
from db.repositories.campaigns import CampaignRepository
from db.repositories.grades import GradeRepository
from db.repositories.personas import PersonaRepository
from db.repositories.rubrics import RubricRepository
from db.repositories.rushes import RushRepository
from db.repositories.sessions import SessionRepository
from db.repositories.users import UserRepository

T = TypeVar("T")


def _no_change() -> None:
    return None


class UnitOfWork:
    """One use case's transaction and the repositories that read and write inside it."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self.sessions = SessionRepository(db)
        self.grades = GradeRepository(db)
        self.personas = PersonaRepository(db)
        self.campaigns = CampaignRepository(db)
        self.users = UserRepository(db)
        self.calibration = CalibrationRepository(db)
        self.rubrics = RubricRepository(db)
        self.rushes = RushRepository(db)

    def commit(self, change: Callable[[], T] = _no_change, attempts: int = 8) -> T:  # type: ignore[assignment]
        """Run ``change`` (the use case's writes, audit entries included) and commit them together. If another
        writer extended the audit chain first, roll back and run ``change`` again on the new chain end
        (optimistic concurrency over every audited write: the change re-checks what it depends on).

        Without ``change``, the writes already made are committed as they are, and a conflict is raised: there is
        nothing to run again, and retrying would commit nothing while reporting success."""
        retries = attempts if change is not _no_change else 1
        for attempt in range(retries):
            try:
                result = change()
                self.db.commit()
                return result
            except IntegrityError as exc:
                self.db.rollback()
                if not audit.is_chain_conflict(exc) or attempt == retries - 1:
                    raise
        raise AssertionError("unreachable")


class Work:
    """Opens a unit of work on the services' connection pool: ``with work() as uow: ...; uow.commit()``. A unit
    left without :meth:`UnitOfWork.commit` is rolled back: nothing it wrote is kept."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    @contextmanager
    def __call__(self) -> Iterator[UnitOfWork]:
        with self.sessions() as db:
            yield UnitOfWork(db)


__all__ = ["CalibrationRepository", "CampaignRepository", "GradeRepository", "PersonaRepository", "RubricRepository",
           "RushRepository", "SessionRepository", "UnitOfWork", "UserRepository", "Work"]
