"""The rubric in play: versions in the database, the file ``grading/rubric.yaml`` recorded as version 1.

At start-up the file is recorded as a version unless that exact text is already stored (as persona files are), so
the newest version is whichever was published last. New chats are graded with the newest version; every grade
records its version (``GradeReport.rubric_number``); a campaign freezes the text of the version it opened with.
Other processes see a publish within ``refresh_seconds``; the publishing process sees it at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db import audit
from db.repositories import Work
from grading.rubric import RUBRIC_PATH, Rubric, parse_rubric, rubric_hash, same_text, with_version


@dataclass(frozen=True)
class Published:
    version: int
    rubric: Rubric
    yaml_text: str


@lru_cache(maxsize=32)
def _parsed(text: str, number: int) -> Rubric:
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
                self._current = published(text, parse_rubric(text).version)
            elif self._current is None or self._current.version != row.version:
                self._current = published(row.yaml_text, row.version)
            self._checked = now
            return self._current

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
