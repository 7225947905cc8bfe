"""The personas in play: files in ``personas/`` plus versions published in the app, from the database.

Every persona that runs is a row in ``persona_versions``.  At start-up each
file is recorded as a version unless that exact content is already there, so
the newest version of a slug is whichever was published last, from a file or
from the editor.  A session records the content hash it started with and is
resumed and graded against that version (:meth:`LiveCatalog.pinned`), even
after newer versions are published.  Other processes see a publish within
``refresh_seconds``; the publishing process sees it at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.repositories import Work
from personas.loader import PersonaCatalog, SkippedFile, check_persona_text, version_hash
from personas.schema import Persona


@dataclass(frozen=True)
class Current:
    persona: Persona
    version: int
    content_hash: str


class LiveCatalog:
    def __init__(self, files: PersonaCatalog, sessions: sessionmaker[Session], *, refresh_seconds: float = 2.0) -> None:
        self.files = files
        self.sessions = sessions
        self.work = Work(sessions)
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._stamp = -1
        self._checked = 0.0
        self._current: dict[str, Current] = {}
        self._pinned: dict[tuple[str, str], Persona] = {}
        self.unreadable: list[SkippedFile] = []
        self.record_files()

    @property
    def skipped(self) -> list[SkippedFile]:
        return self.files.skipped + self.unreadable

    def record_files(self) -> None:
        """Record each file persona as a version unless the same content is already stored."""
        with self.work() as uow:
            for persona in self.files.personas.values():  # committed one by one: a conflict loses no other
                digest = version_hash(persona)
                if uow.personas.by_hash(slug=persona.slug, content_hash=digest) is not None:
                    continue
                path = self.files.paths.get(persona.slug)
                text = path.read_text(encoding="utf-8") if path else ""
                try:
                    uow.personas.add_version(slug=persona.slug, yaml_text=text, content_hash=digest, source="file",
                                             note=path.name if path else None, by_user_id=None,
                                             by_username="(file)")
                    uow.commit()
                except IntegrityError:  # another process recorded it at the same moment
                    uow.db.rollback()
        self.invalidate()

    def invalidate(self) -> None:
        self._checked = 0.0

    def _refresh(self) -> dict[str, Current]:
        now = time.monotonic()
        if now - self._checked < self.refresh_seconds:
            return self._current
        with self._lock, self.work() as uow:
            if time.monotonic() - self._checked < self.refresh_seconds:
                return self._current  # another thread refreshed while this one waited for the lock
            stamp = uow.personas.stamp()
            if stamp == self._stamp:
                self._checked = now
                return self._current
            current: dict[str, Current] = {}
            unreadable: list[SkippedFile] = []
            for row in uow.personas.latest_versions():
                check = check_persona_text(row.yaml_text)
                if check.persona is None:  # stored by an older schema: keep going without it, and say so
                    unreadable.append(SkippedFile(self.files.paths.get(row.slug) or Path(f"{row.slug}.yaml"),
                                                  f"{row.slug} v{row.version}: {check.errors[0]}"))
                    continue
                current[row.slug] = Current(check.persona, row.version, row.content_hash)
            self._current, self._stamp, self.unreadable = current, stamp, unreadable
            self._checked = now  # only now: a reader that sees a fresh check also sees the loaded catalog
        return self._current

    @property
    def personas(self) -> dict[str, Persona]:
        return {slug: c.persona for slug, c in self._refresh().items()}

    def version(self, slug: str) -> int | None:
        current = self._refresh().get(slug)
        return current.version if current else None

    def get(self, slug: str) -> Persona:
        """The newest version of ``slug``; ``KeyError`` naming the known slugs otherwise."""
        current = self._refresh().get(slug)
        if current is None:
            known = ", ".join(sorted(self._current)) or "none"
            raise KeyError(f"unknown persona '{slug}' (known: {known})")
        return current.persona

    def pinned(self, slug: str, content_hash: str) -> Persona:
        """The version a session ran on; the newest one if that version was never stored (older data)."""
        current = self._refresh().get(slug)
        if current is not None and current.content_hash == content_hash:
            return current.persona
        key = (slug, content_hash)
        if key not in self._pinned:
            with self.work() as uow:
                row = uow.personas.by_hash(slug=slug, content_hash=content_hash)
                check = check_persona_text(row.yaml_text) if row is not None else None
            if check is None or check.persona is None:
                return self.get(slug)
            self._pinned[key] = check.persona
        return self._pinned[key]

