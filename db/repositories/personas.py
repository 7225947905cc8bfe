"""Published persona versions and authors' drafts: every query. Adds, changes and flushes; never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import PersonaDraft, PersonaVersion, utcnow


class PersonaRepository:
    def __init__(self, db: Session) -> None:
        self.db = db

    def add_version(self, *, slug: str, yaml_text: str, content_hash: str, source: str, note: str | None,
                    by_user_id: int | None, by_username: str) -> PersonaVersion:
        """Append the next version of ``slug``; a concurrent publish of the same number fails on the unique key."""
        current = self.db.scalar(select(func.max(PersonaVersion.version)).where(PersonaVersion.slug == slug)) or 0
        row = PersonaVersion(slug=slug, version=current + 1, yaml_text=yaml_text, content_hash=content_hash,
                             source=source, note=note, by_user_id=by_user_id, by_username=by_username)
        self.db.add(row)
        self.db.flush()
        return row

    def latest_versions(self) -> Sequence[PersonaVersion]:
        """The newest version of every persona."""
        newest = (select(PersonaVersion.slug, func.max(PersonaVersion.version).label("v"))
                  .group_by(PersonaVersion.slug).subquery())
        query = (select(PersonaVersion)
                 .join(newest, (newest.c.slug == PersonaVersion.slug) & (newest.c.v == PersonaVersion.version))
                 .order_by(PersonaVersion.slug))
        return self.db.scalars(query).all()

    def versions(self, slug: str) -> Sequence[PersonaVersion]:
        return self.db.scalars(select(PersonaVersion).where(PersonaVersion.slug == slug)
                               .order_by(PersonaVersion.version.desc())).all()

    def by_hash(self, *, slug: str, content_hash: str) -> PersonaVersion | None:
        return self.db.scalar(select(PersonaVersion)
                              .where(PersonaVersion.slug == slug, PersonaVersion.content_hash == content_hash)
                              .order_by(PersonaVersion.version).limit(1))

    def stamp(self) -> int:
        """Changes whenever a version is published (the newest id)."""
        return self.db.scalar(select(func.max(PersonaVersion.id))) or 0

    def draft(self, slug: str) -> PersonaDraft | None:
        return self.db.get(PersonaDraft, slug)

    def save_draft(self, *, slug: str, yaml_text: str, by_username: str) -> None:
        row = self.db.get(PersonaDraft, slug)
        if row is None:
            self.db.add(PersonaDraft(slug=slug, yaml_text=yaml_text, by_username=by_username))
        else:
            row.yaml_text, row.by_username, row.updated_at = yaml_text, by_username, utcnow()
        self.db.flush()

    def delete_draft(self, slug: str) -> bool:
        row = self.db.get(PersonaDraft, slug)
        if row is None:
            return False
        self.db.delete(row)
        self.db.flush()
        return True
