"""Rubric authoring: trainers and admins edit the rubric as a form or as YAML (one shared draft) and test the draft on
stored chats beside the published version; an admin publishes it as a new version (a trainer asks one to review the
shared draft), so no single trainer changes how everyone is graded. A rubric outside the bounds of
:mod:`grading.rubric` (pass mark, weights, caps) is refused field by field.

The test grades each sampled chat twice with the same grader (deterministic evidence, no judge model), once with
the published rubric and once with the draft, and shows how many pass/fail outcomes would flip. It also grades the
calibration set (every chat trainers have judged) with the draft and measures the draft's kappa against those
judgements. Nothing is stored by a test. Publishing appends a version: old grades keep theirs, campaigns keep the
text they froze when they opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db import audit
from db.models import PracticeSession
from db.repositories import UnitOfWork, Work
from grading.agreement import CriterionAgreement, JudgedPair, agreement, newest_per_chat
from grading.grader import grade
from grading.rubric import Rubric, check_rubric_text, out_of_bounds, rubric_hash, same_text, with_version
from grading.transcript import Line, Transcript
from personas import safe_yaml
from personas.loader import FieldError
from services.access import can_read
from services.auth import AccessDenied, Actor
from services.calibration import CalibrationService
from services.grading import GradingService
from services.permissions import Permission, may
from services.permissions import require as require_permission
from services.rubrics import LiveRubric, published
from services.views import PracticeError
from settings import Settings

MAX_YAML_CHARS = 200_000
MAX_SAMPLE = 200
#: Judged chats graded for the draft's kappa (the newest first).
MAX_CALIBRATION = 400


@dataclass(frozen=True)
class RubricCheck:
    rubric: Rubric | None
    errors: tuple[FieldError, ...] = ()


@dataclass(frozen=True)
class VersionInfo:
    version: int
    source: str
    by: str
    created_at: datetime
    note: str | None
    #: Whether new chats are graded with this version (the newest within the bounds).
    in_play: bool = False
    #: Why a version stored before the bounds is not put in play (its first problem), else None.
    problem: str | None = None


@dataclass(frozen=True)
class Sample:
    """Which stored chats a draft is tested on."""

    last: int = 30
    team: str | None = None
    persona: str | None = None
    exemplars: bool = False


@dataclass(frozen=True)
class SideBySide:
    session_id: int
    trainee: str
    persona: str
    published_score: int
    published_passed: bool
    draft_score: int
    draft_passed: bool

    @property
    def flipped(self) -> bool:
        return self.published_passed != self.draft_passed


@dataclass(frozen=True)
class DraftTest:
    rows: tuple[SideBySide, ...]
    published_version: int
    published_kappa: tuple[CriterionAgreement, ...]
    draft_kappa: tuple[CriterionAgreement, ...]
    calibration_chats: int

    @property
    def flips(self) -> int:
        return sum(r.flipped for r in self.rows)


def _transcript(row: PracticeSession) -> Transcript | None:
    if not any(m.role == "agent" for m in row.messages):
        return None
    return Transcript(row.persona_slug, tuple(Line(m.role, m.content) for m in row.messages))  # type: ignore[arg-type]


class RubricEditor:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], rubric: LiveRubric,
                 grading: GradingService, calibration: CalibrationService) -> None:
        self.settings = settings
        self.work = Work(sessions)
        self.rubric = rubric
        self.grading = grading
        self.calibration = calibration

    @staticmethod
    def _author(actor: Actor) -> None:
        require_permission(actor, Permission.EDIT_RUBRIC)

    @staticmethod
    def _size(text: str) -> None:
        if len(text) > MAX_YAML_CHARS:
            raise PracticeError(f"The rubric is {len(text):,} characters; the limit is {MAX_YAML_CHARS:,}.")

    def check(self, actor: Actor, text: str) -> RubricCheck:
        self._author(actor)
        if len(text) > MAX_YAML_CHARS:
            return RubricCheck(None, (FieldError("(size)", f"{len(text):,} characters; the limit is "
                                                           f"{MAX_YAML_CHARS:,}"),))
        rubric, errors = check_rubric_text(text)
        return RubricCheck(rubric, errors)

    # -- versions and the draft -----------------------------------------------------------
    def versions(self, actor: Actor) -> list[VersionInfo]:
        self._author(actor)
        playing = self.rubric.current().version
        with self.work() as uow:
            return [VersionInfo(v.version, v.source, v.by_username, v.created_at, v.note, v.version == playing,
                                out_of_bounds(v.yaml_text)) for v in uow.rubrics.versions()]

    @staticmethod
    def may_publish(actor: Actor) -> bool:
        """Whether the page offers publishing (an admin) or asks for an admin's review (a trainer)."""
        return may(actor, Permission.PUBLISH_RUBRIC)

    def version_yaml(self, actor: Actor, version: int | None = None) -> str:
        self._author(actor)
        found = self.rubric.current() if version is None else self.rubric.version(version)
        if found is None:
            raise PracticeError(f"There is no rubric version {version}.")
        return found.yaml_text

    def draft(self, actor: Actor) -> str | None:
        self._author(actor)
        with self.work() as uow:
            row = uow.rubrics.draft()
            return row.yaml_text if row is not None else None

    def save_draft(self, actor: Actor, text: str) -> None:
        self._author(actor)
        self._size(text)
        with self.work() as uow:
            uow.rubrics.save_draft(yaml_text=text, based_on=self.rubric.current().version, by=actor.username)
            uow.commit()

    def discard_draft(self, actor: Actor) -> None:
        self._author(actor)
        with self.work() as uow:
            uow.rubrics.delete_draft()
            uow.commit()

    # -- the form ---------------------------------------------------------------------------
    def form_values(self, text: str) -> dict[str, Any]:
        """``pass_mark``, and per criterion ``<id>.weight`` and ``<id>.level.<n>`` (the level's meaning)."""
        try:
            data = safe_yaml.load(text)
        except yaml.YAMLError:  # also an alias or nesting too deep
            return {}
        if not isinstance(data, dict):
            return {}
        values: dict[str, Any] = {"pass_mark": data.get("pass_mark")}
        for c in data.get("criteria") or []:
            if isinstance(c, dict) and isinstance(c.get("id"), str):
                values[f"{c['id']}.weight"] = c.get("weight")
                for n, level in (c.get("levels") or {}).items():
                    if isinstance(level, dict):
                        values[f"{c['id']}.level.{n}"] = level.get("meaning")
        return values

    def apply_form(self, actor: Actor, text: str, values: dict[str, Any]) -> str:
        """Set the form's fields in the YAML text (comments are not kept; the YAML view edits everything else)."""
        self._author(actor)
        self._size(text)
        try:
            data = safe_yaml.load(text)
        except yaml.YAMLError:  # also an alias or nesting too deep
            raise PracticeError("The YAML view has a syntax error: fix it there before using the form.") from None
        if not isinstance(data, dict):
            raise PracticeError("The YAML view does not hold a rubric: fix it there before using the form.")
        criteria = {c["id"]: c for c in data.get("criteria") or [] if isinstance(c, dict) and "id" in c}
        for key, value in values.items():
            if key == "pass_mark":
                data["pass_mark"] = value
                continue
            cid, _, field = key.partition(".")
            if cid not in criteria:
                raise PracticeError(f"'{key}' is not a form field.")
            if field == "weight":
                criteria[cid]["weight"] = value
            elif field.startswith("level.") and field[6:].isdigit():
                levels = criteria[cid].setdefault("levels", {})
                levels.setdefault(int(field[6:]), {})["meaning"] = value
            else:
                raise PracticeError(f"'{key}' is not a form field.")
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)

    # -- test before publishing -------------------------------------------------------------
    def test_draft(self, actor: Actor, text: str, sample: Sample) -> DraftTest:
        """The draft beside the published rubric on a sample of stored chats (the actor may read), and both
        rubrics' kappa against every stored trainer judgement."""
        self._author(actor)
        check = self.check(actor, text)
        if check.rubric is None:
            raise PracticeError(f"Fix the rubric before testing it: {check.errors[0]}")
        current = self.rubric.current()
        draft = check.rubric.model_copy(update={"version": current.version + 1})
        limit = max(1, min(sample.last, MAX_SAMPLE))
        rows: list[SideBySide] = []
        with self.work() as uow:
            chats, _ = uow.sessions.browse(team=sample.team or None, personas=(sample.persona,) if sample.persona
                                           else (), exemplars=sample.exemplars, sort="newest", limit=limit)
            for chat, _, _ in chats:
                transcript = _transcript(chat)
                if transcript is None or chat.status == "active" or not can_read(actor, chat, self.settings):
                    continue
                old = self._grade(transcript, chat, current.rubric)
                new = self._grade(transcript, chat, draft)
                rows.append(SideBySide(chat.id, chat.trainee, chat.persona_slug, old.overall, old.passed,
                                       new.overall, new.passed))
            judged = self._calibration_set(uow, current.rubric)
            published_pairs, draft_pairs = self._regraded_pairs(uow, judged, current.rubric, draft)
        def kappas(rubric: Rubric, pairs: list[JudgedPair]) -> tuple[CriterionAgreement, ...]:
            return tuple(agreement([(c.id, c.name) for c in rubric.criteria], pairs,
                                   min_judged=self.settings.trust_min_judged, threshold=self.settings.trust_kappa))

        return DraftTest(tuple(rows), current.version, kappas(current.rubric, published_pairs),
                         kappas(draft, draft_pairs), len({p.session_id for p in judged}))

    def _grade(self, transcript: Transcript, chat: PracticeSession, rubric: Rubric) -> Any:
        return grade(transcript, self.grading.context_for(chat.persona_slug, chat.persona_version), rubric=rubric,
                     judge=None).report

    def _calibration_set(self, uow: UnitOfWork, rubric: Rubric) -> list[JudgedPair]:
        """The newest judgement of each judged chat and criterion (newest chats first, bounded)."""
        pairs = newest_per_chat(uow.calibration.judgements())
        keep = set(sorted({p.session_id for p in pairs}, reverse=True)[:MAX_CALIBRATION])
        return [p for p in pairs if p.session_id in keep]

    def _regraded_pairs(self, uow: UnitOfWork, judged: list[JudgedPair], current: Rubric, draft: Rubric
                        ) -> tuple[list[JudgedPair], list[JudgedPair]]:
        """The trainers' levels against each rubric's level for the same chats, graded now the same way."""
        old_pairs: list[JudgedPair] = []
        new_pairs: list[JudgedPair] = []
        by_chat: dict[int, list[JudgedPair]] = {}
        for p in judged:
            by_chat.setdefault(p.session_id, []).append(p)
        for session_id, pairs in by_chat.items():
            chat = uow.sessions.get(session_id)
            transcript = _transcript(chat) if chat is not None else None
            if chat is None or transcript is None:
                continue
            for rubric, out in ((current, old_pairs), (draft, new_pairs)):
                levels = {c.id: c.level for c in self._grade(transcript, chat, rubric).criteria}
                out.extend(JudgedPair(session_id, p.criterion_id, levels[p.criterion_id], p.trainer, p.source, p.by,
                                      p.at, rubric.version) for p in pairs if p.criterion_id in levels)
        return old_pairs, new_pairs

    # -- publishing -------------------------------------------------------------------------
    def publish(self, actor: Actor, text: str, note: str = "") -> VersionInfo:
        """Publish ``text`` as the next version (new chats are graded with it from now on): an admin's act."""
        self._author(actor)
        if not self.may_publish(actor):
            raise AccessDenied("Only an admin can publish a rubric: save your draft and ask an admin to review and "
                               "publish it.")
        check = self.check(actor, text)
        if check.rubric is None:
            raise PracticeError(f"Fix the rubric before publishing it: {check.errors[0]}")
        with self.work() as uow:
            number = uow.rubrics.stamp() + 1
            stored = with_version(text, number)
            if same_text(self.rubric.current().yaml_text, text):
                raise PracticeError("Nothing to publish: this is the published rubric.")

            def change() -> VersionInfo:
                row = uow.rubrics.add_version(yaml_text=stored, content_hash=rubric_hash(published(stored, number)
                                                                                         .rubric),
                                              source="editor", note=note.strip()[:500] or None, by=actor.username,
                                              version=number)
                audit.append(uow.db, actor=actor.username, action="rubric.published", subject_type="rubric", row=row)
                uow.rubrics.delete_draft()
                return VersionInfo(row.version, row.source, row.by_username, row.created_at, row.note, True)

            try:
                info = uow.commit(change)
            except IntegrityError:
                raise PracticeError("Someone published a rubric version at the same moment: reload and try "
                                    "again.") from None
        self.rubric.invalidate()
        return info
