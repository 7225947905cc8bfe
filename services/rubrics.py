"""The rubric in play: versions in the database, the file ``grading/rubric.yaml`` recorded as version 1.

At start-up the file is recorded as a version unless that exact text is already stored (as persona files are), so
the newest version is whichever was published last. New chats are graded with the newest version; every grade
records its version (``GradeReport.rubric_number``); a campaign freezes the text of the version it opened with.
Other processes see a publish within ``refresh_seconds``; the publishing process sees it at once.

A version stored before the rubric had bounds (``grading.rubric.PASS_MARK_BOUNDS`` ...) and outside them is still
read (its grades, calibration and export name it) but never put in play: the newest version within the bounds is,
and the editor shows why. Start-up and grading keep working; an admin publishes a fixed version.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db import audit
from db.models_calibration import RubricVersion
from db.repositories import UnitOfWork, Work
from grading.rubric import (
    RUBRIC_PATH,
    Rubric,
    out_of_bounds,
    parse_rubric,
    reading_stored,
    rubric_hash,
    same_text,
    with_version,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Published:
    version: int
    rubric: Rubric
    yaml_text: str


@lru_cache(maxsize=32)
def _parsed(text: str, number: int) -> Rubric:
    """A stored version as it was published (read even when it predates the bounds)."""
    with reading_stored():
        return parse_rubric(text).model_copy(update={"version": number})


def published(text: str, number: int) -> Published:
    """A stored version as the grader uses it (its number is authoritative, whatever the text says)."""
    return Published(number, _parsed(text, number), text)


class LiveRubric:
    def __init__(self, sessions: sessionmaker[Session], *, refresh_seconds: float = 2.0) -> None:
        self.work = Work(sessions)
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._checked = 0.0
        self._current: Published | None = None
        self._newest = 0  # the newest stored version when ``_current`` was chosen
        self._versions: dict[int, Published] = {}
        self.record_file()

    def record_file(self) -> None:
        """Record ``grading/rubric.yaml`` as a version unless its text is already stored (as the file's; a version
        published from the editor with the same text does not count: the file is then the newest again)."""
        text = RUBRIC_PATH.read_text(encoding="utf-8")
        with self.work() as uow:
            if any(v.source == "file" and same_text(v.yaml_text, text) for v in uow.rubrics.versions()):
                return
            number = uow.rubrics.stamp() + 1
            stored = with_version(text, number)
            def change() -> None:
                row = uow.rubrics.add_version(yaml_text=stored, content_hash=rubric_hash(_parsed(stored, number)),
                                              source="file", note=RUBRIC_PATH.name, by="(file)", version=number)
                audit.append(uow.db, actor="(file)", action="rubric.recorded", subject_type="rubric", row=row)

            try:
                uow.commit(change)
            except IntegrityError:  # another process recorded it at the same moment
                uow.db.rollback()
        self.invalidate()

    def invalidate(self) -> None:
        self._checked = 0.0

    def current(self) -> Published:
        now = time.monotonic()
        if self._current is not None and now - self._checked < self.refresh_seconds:
            return self._current
        with self._lock, self.work() as uow:
            row = uow.rubrics.latest()
            if row is None:  # nothing recorded (a database reset under a running process): the file
                text = RUBRIC_PATH.read_text(encoding="utf-8")
                self._current, self._newest = published(text, parse_rubric(text).version), 0
            elif self._current is None or self._newest != row.version:
                self._current, self._newest = self._in_play(uow, row), row.version
            self._checked = now
            return self._current

    @staticmethod
    def _in_play(uow: UnitOfWork, newest: RubricVersion) -> Published:
        """The newest stored version within the bounds (the file's own version always is)."""
        if out_of_bounds(newest.yaml_text) is None:
            return published(newest.yaml_text, newest.version)
        for row in uow.rubrics.versions():  # newest first
            problem = out_of_bounds(row.yaml_text)
            if problem is None:
                return published(row.yaml_text, row.version)
            log.warning("rubric version %s is outside the bounds and not put in play: %s", row.version, problem)
        text = RUBRIC_PATH.read_text(encoding="utf-8")  # not reached: the file is recorded at start-up
        return published(text, parse_rubric(text).version)

    def version(self, number: int) -> Published | None:
        """A published version (versions never change once stored, so each is read once per process)."""
        if self._current is not None and self._current.version == number:
            return self._current
        if number not in self._versions:
            with self.work() as uow:
                row = uow.rubrics.get(number)
            if row is None:
                return None
            self._versions[number] = published(row.yaml_text, row.version)
        return self._versions[number]
