"""Published rubric versions and the shared draft: every query. Adds, changes and flushes; never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import utcnow
from db.models_calibration import RubricDraft, RubricVersion


class RubricRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add_version(self, *, yaml_text: str, content_hash: str, source: str, note: str | None, by: str,
                    version: int | None = None) -> RubricVersion:
        """Append the next version (or ``version``); a concurrent publish of the same number fails on the unique
        key."""
        number = version or (self.db.scalar(select(func.max(RubricVersion.version))) or 0) + 1
        row = RubricVersion(version=number, yaml_text=yaml_text, content_hash=content_hash, source=source,
                            note=note, by_username=by)
        self.db.add(row)
        self.db.flush()
        return row

    def latest(self) -> RubricVersion | None:
        return self.db.scalar(select(RubricVersion).order_by(RubricVersion.version.desc()).limit(1))

    def get(self, version: int) -> RubricVersion | None:
        return self.db.scalar(select(RubricVersion).where(RubricVersion.version == version))

    def by_hash(self, content_hash: str) -> RubricVersion | None:
        return self.db.scalar(select(RubricVersion).where(RubricVersion.content_hash == content_hash)
                              .order_by(RubricVersion.version).limit(1))

    def versions(self) -> Sequence[RubricVersion]:
        return self.db.scalars(select(RubricVersion).order_by(RubricVersion.version.desc())).all()

    def stamp(self) -> int:
        """Changes whenever a version is published (the newest number)."""
        return self.db.scalar(select(func.max(RubricVersion.version))) or 0

    def draft(self) -> RubricDraft | None:
        return self.db.scalar(select(RubricDraft).order_by(RubricDraft.id).limit(1))

    def save_draft(self, *, yaml_text: str, based_on: int, by: str) -> RubricDraft:
        row = self.draft()
        if row is None:
            row = RubricDraft(yaml_text=yaml_text, based_on=based_on, by_username=by)
            self.db.add(row)
        else:
            row.yaml_text, row.based_on, row.by_username, row.updated_at = yaml_text, based_on, by, utcnow()
        self.db.flush()
        return row

    def delete_draft(self) -> bool:
        row = self.draft()
        if row is None:
            return False
        self.db.delete(row)
        self.db.flush()
        return True
