"""The tamper-evident audit log: every grade, override, certification result, campaign change and role change.

Each row's ``hash`` is SHA-256 over its content and the previous row's hash, so editing, deleting or
reordering a row breaks the chain from there on.  Each row also records a *fingerprint* of its subject
(a grade's score, an override's level, a user's role, ...); :func:`verify` recomputes every subject's
fingerprint from the live tables and compares it with the newest entry for that subject, so a score changed
directly in the database, behind the app's back, is caught too, as is a subject row without any entry.

Appending never commits: the entry goes into the caller's transaction with the change it records, so both
land or neither does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from db.models import (
    Attempt,
    AttemptReview,
    AuditEntry,
    Campaign,
    Certificate,
    Grade,
    GradeOverride,
    Team,
    User,
    utcnow,
)
from db.models_calibration import Dispute, Judgement, RubricVersion

GENESIS = "0" * 64


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _grade(row: Grade) -> dict[str, Any]:
    return {"session_id": row.session_id, "overall": row.overall, "passed": row.passed, "status": row.status,
            "rubric_version": row.rubric_version, "grader_version": row.grader_version,
            "report_sha256": _sha(row.report_json), "judge_raw_sha256": _sha(row.judge_raw or "")}


def _override(row: GradeOverride) -> dict[str, Any]:
    return {"grade_id": row.grade_id, "criterion_id": row.criterion_id, "level": row.level,
            "reason_sha256": _sha(row.reason), "by": row.by_username}


def _user(row: User) -> dict[str, Any]:
    found: dict[str, Any] = {"username": row.username, "role": row.role, "team": row.team}
    if row.full_name:  # only when set, so entries written before accounts had these still match
        found["full_name"] = row.full_name
    if row.disabled:
        found["disabled"] = True
    return found


def _team(row: Team) -> dict[str, Any]:
    return {"name": row.name}


def _campaign(row: Campaign) -> dict[str, Any]:
    return {"name": row.name, "status": row.status, "pass_mark": row.pass_mark,
            "criterion_minimums": row.criterion_minimums, "attempts_allowed": row.attempts_allowed,
            "time_limit_minutes": row.time_limit_minutes, "opens_at": row.opens_at.isoformat(),
            "closes_at": row.closes_at.isoformat(), "hide_aids": row.hide_aids, "draw_count": row.draw_count,
            "review_margin": row.review_margin, "rubric_version": row.rubric_version,
            "scenarios": [[s.persona_slug, s.difficulty, s.persona_version] for s in row.scenarios],
            "assignments": sorted([a.user_id or 0, a.team or ""] for a in row.assignments)}


def _attempt(row: Attempt) -> dict[str, Any]:
    return {"campaign_id": row.campaign_id, "user_id": row.user_id, "number": row.number, "status": row.status,
            "outcome": row.outcome, "score": row.score, "deterministic_score": row.deterministic_score,
            "judge_score": row.judge_score, "rule_sha256": _sha(row.rule or "")}


def _review(row: AttemptReview) -> dict[str, Any]:
    return {"attempt_id": row.attempt_id, "outcome": row.outcome, "reason_sha256": _sha(row.reason),
            "by": row.by_username}


def _certificate(row: Certificate) -> dict[str, Any]:
    return {"code": row.code, "attempt_id": row.attempt_id, "holder": row.holder, "campaign": row.campaign,
            "score": row.score}


def _judgement(row: Judgement) -> dict[str, Any]:
    return {"session_id": row.session_id, "grade_id": row.grade_id, "criterion_id": row.criterion_id,
            "rubric_number": row.rubric_number, "grader_level": row.grader_level, "level": row.level,
            "source": row.source, "by": row.by_username, "override_id": row.override_id}


def _dispute(row: Dispute) -> dict[str, Any]:
    return {"session_id": row.session_id, "grade_id": row.grade_id, "criterion_id": row.criterion_id,
            "reason_sha256": _sha(row.reason), "by": row.by_username, "status": row.status,
            "decided_by": row.decided_by, "decided_level": row.decided_level,
            "decision_reason_sha256": _sha(row.decision_reason or "")}


def _rubric(row: RubricVersion) -> dict[str, Any]:
    return {"version": row.version, "content_hash": row.content_hash, "yaml_sha256": _sha(row.yaml_text),
            "source": row.source, "by": row.by_username}


#: subject type -> (model, fingerprint): every row of these tables must match its newest audit entry.
SUBJECTS: dict[str, tuple[type[Any], Callable[[Any], dict[str, Any]]]] = {
    "grade": (Grade, _grade),
    "override": (GradeOverride, _override),
    "user": (User, _user),
    "team": (Team, _team),
    "campaign": (Campaign, _campaign),
    "attempt": (Attempt, _attempt),
    "review": (AttemptReview, _review),
    "certificate": (Certificate, _certificate),
    "judgement": (Judgement, _judgement),
    "dispute": (Dispute, _dispute),
    "rubric": (RubricVersion, _rubric),
}


def fingerprint(subject_type: str, row: Any) -> dict[str, Any]:
    return SUBJECTS[subject_type][1](row)


def entry_hash(entry: AuditEntry) -> str:
    content = {"created_at": entry.created_at.isoformat(timespec="microseconds"), "actor": entry.actor,
               "action": entry.action, "subject_type": entry.subject_type, "subject_id": entry.subject_id,
               "payload": entry.payload, "prev_hash": entry.prev_hash}
    return _sha(json.dumps(content, sort_keys=True, ensure_ascii=False))


def matches(db: Session, subject_type: str, row: Any) -> bool:
    """Whether ``row`` is as its newest audit entry recorded it (False when it has no entry, or was altered)."""
    entry = db.scalar(select(AuditEntry).where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == row.id)
                      .order_by(AuditEntry.id.desc()).limit(1))
    return entry is not None and json.loads(entry.payload).get("fingerprint") == fingerprint(subject_type, row)


def chain_end(db: Session) -> str:
    """The newest entry's hash: read it before checking what a change depends on, and pass it to :func:`append`
    as ``after``."""
    return db.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS


def append(db: Session, *, actor: str, action: str, subject_type: str, row: Any,
           extra: dict[str, Any] | None = None, after: str | None = None) -> AuditEntry:
    """Add ``row`` (new or changed) and its entry to the caller's transaction; the caller commits both.

    ``after`` (from :func:`chain_end`, read before the caller checked its preconditions) chains the entry to the
    end the caller saw: if any audited change was committed since, the unique ``prev_hash`` refuses this one and
    :meth:`db.repositories.UnitOfWork.commit` runs the whole change again, checks included (optimistic concurrency
    over every audited write, on both databases)."""
    db.add(row)
    db.flush()  # a new row gets its id, a changed one its new values, before they are fingerprinted
    return _chained(db, actor=actor, action=action, subject_type=subject_type, subject_id=row.id,
                    payload={"fingerprint": fingerprint(subject_type, row), **(extra or {})}, after=after)


def append_deletion(db: Session, *, actor: str, action: str, subject_type: str, row: Any,
                    after: str | None = None) -> AuditEntry:
    """Delete ``row`` in the caller's transaction, recording its last fingerprint as deleted (``verify`` then
    expects it gone). ``after`` as for :func:`append`."""
    payload = {"fingerprint": fingerprint(subject_type, row), "deleted": True}
    db.delete(row)
    return _chained(db, actor=actor, action=action, subject_type=subject_type, subject_id=row.id, payload=payload,
                    after=after)


#: Subject types of events: entries that record something that happened (a login, a setup token's use) rather
#: than a row's new state; they carry no fingerprint and :func:`verify` checks only their place in the chain.
EVENTS = ("login", "setup")


def append_event(db: Session, *, actor: str, action: str, subject_type: str, subject_id: int,
                 extra: dict[str, Any]) -> AuditEntry:
    """Add an event entry (``subject_type`` one of :data:`EVENTS`) to the caller's transaction, chained after the
    newest entry; a concurrent audited write makes the caller's :meth:`UnitOfWork.commit` run the change again."""
    if subject_type not in EVENTS:
        raise ValueError(f"{subject_type!r} is not an event type")
    return _chained(db, actor=actor, action=action, subject_type=subject_type, subject_id=subject_id, payload=extra)


def _chained(db: Session, *, actor: str, action: str, subject_type: str, subject_id: int, payload: dict[str, Any],
             after: str | None = None) -> AuditEntry:
    """Add one entry to the caller's transaction, chained after ``after`` (default: the newest entry)."""
    entry = AuditEntry(created_at=utcnow(), actor=actor[:60], action=action, subject_type=subject_type,
                       subject_id=subject_id, payload=json.dumps(payload, sort_keys=True, ensure_ascii=False),
                       prev_hash=after if after is not None else chain_end(db))
    entry.hash = entry_hash(entry)
    db.add(entry)
    db.flush()
    return entry


def is_chain_conflict(exc: Exception) -> bool:
    """Another writer appended to the chain first (the unique ``prev_hash``): redo the whole change."""
    text = str(exc).lower()
    return "prev_hash" in text or "audit_log" in text


@dataclass(frozen=True)
class Problem:
    entry_id: int | None
    message: str

    def __str__(self) -> str:
        return f"audit row {self.entry_id}: {self.message}" if self.entry_id is not None else self.message


def _entries(db: Session, batch: int = 5000) -> Iterator[AuditEntry]:
    last_id = 0
    while True:
        rows = db.scalars(select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id
        db.expunge_all()


def verify(db: Session) -> tuple[int, Problem | None]:
    """Walk the chain, then check every subject against its newest entry. Returns (rows checked, first problem)."""
    previous, count = GENESIS, 0
    newest: dict[tuple[str, int], tuple[int, dict[str, Any]]] = {}
    deleted: set[tuple[str, int]] = set()
    for entry in _entries(db):
        count += 1
        if entry.prev_hash != previous:
            return count, Problem(entry.id, "does not follow the previous row (a row was removed, added or "
                                            "reordered)")
        if entry_hash(entry) != entry.hash:
            return count, Problem(entry.id, f"its content does not match its hash ({entry.action} "
                                            f"{entry.subject_type} {entry.subject_id} was edited)")
        previous = entry.hash
        if entry.subject_type in EVENTS:
            continue
        payload = json.loads(entry.payload)
        if payload.get("deleted"):
            newest.pop((entry.subject_type, entry.subject_id), None)
            deleted.add((entry.subject_type, entry.subject_id))
        else:
            newest[(entry.subject_type, entry.subject_id)] = (entry.id, payload["fingerprint"])
            deleted.discard((entry.subject_type, entry.subject_id))
    for subject_type, (model, make) in SUBJECTS.items():
        for row in db.scalars(select(model).order_by(model.id).execution_options(yield_per=2000)):
            recorded = newest.pop((subject_type, row.id), None)
            if recorded is None and (subject_type, row.id) in deleted:
                return count, Problem(None, f"{subject_type} {row.id} was recorded as deleted but is back (written "
                                            "behind the app's back)")
            if recorded is None:
                return count, Problem(None, f"{subject_type} {row.id} has no audit entry (written behind the "
                                            "app's back)")
            entry_id, expected = recorded
            live = make(row)
            if live != expected:
                changed = sorted(k for k in expected.keys() | live.keys() if live.get(k) != expected.get(k))
                detail = ", ".join(f"{k} is {live.get(k)!r}, recorded {expected.get(k)!r}" for k in changed)
                return count, Problem(entry_id, f"{subject_type} {row.id} was changed outside the app: {detail}")
    for (subject_type, subject_id), (entry_id, _) in sorted(newest.items(), key=lambda kv: kv[1][0]):
        return count, Problem(entry_id, f"{subject_type} {subject_id} was deleted outside the app")
    return count, None


def record_unaudited(db: Session, *, actor: str, batch: int = 5000) -> int:
    """Append entries for subject rows that have none (data loaded in bulk by ``python -m db seed``)."""
    audited = set(db.execute(select(AuditEntry.subject_type, AuditEntry.subject_id)).tuples())
    previous = db.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS
    pending: list[dict[str, Any]] = []
    added = 0
    for subject_type, (model, make) in SUBJECTS.items():
        for row in db.scalars(select(model).order_by(model.id).execution_options(yield_per=2000)):
            if (subject_type, row.id) in audited:
                continue
            entry = AuditEntry(created_at=utcnow(), actor=actor, action="audit.recorded", subject_type=subject_type,
                               subject_id=row.id, payload=json.dumps({"fingerprint": make(row)}, sort_keys=True,
                                                                     ensure_ascii=False), prev_hash=previous)
            entry.hash = previous = entry_hash(entry)
            pending.append({c: getattr(entry, c) for c in ("created_at", "actor", "action", "subject_type",
                                                           "subject_id", "payload", "prev_hash", "hash")})
    for start in range(0, len(pending), batch):
        db.execute(insert(AuditEntry), pending[start:start + batch])
        added += len(pending[start:start + batch])
    db.commit()
    return added
