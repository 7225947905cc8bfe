"""Certification: campaigns (admin), attempts (trainee), results that can be trusted, reviews, certificates.

- Opening a campaign freezes each scenario's persona version (content hash) and the rubric (its text and
  hash): later edits publish new versions and never change a running campaign.
- An attempt's number is unique per (campaign, trainee) in the database, so two tabs starting at the same
  moment cannot both get a try: the second insert fails and is refused.
- An attempt is held by one browser session (``holder``), which checks in every second while its page is
  open (``holder_seen_at``, written at most every few seconds).  A new browser session of the same trainee
  (a reload, a dropped connection, a second tab) takes it over while the holder has been silent for less
  than ``attempt_reconnect_grace_seconds``; the clock keeps running, and the old session can no longer drive
  it.  After the grace the attempt counts as abandoned.  Past its deadline it expires; both end it and are
  graded on what was done.
- Pass or fail is computed here from criterion scores; borderline and flagged results wait for a reviewer.
  Every change of a campaign, an attempt's result, a review and a certificate is in the audit chain.
"""

from __future__ import annotations

import csv
import io
import json
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import mean
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db import audit
from db import repository as repo
from db.models import (
    Attempt,
    AttemptReview,
    AuditEntry,
    Campaign,
    CampaignAssignment,
    CampaignScenario,
    Certificate,
    User,
    utcnow,
)
from grading.report import GradeReport
from grading.rubric import RUBRIC_PATH, Rubric, load_rubric, parse_rubric, rubric_hash
from personas.loader import version_hash
from services import rate_limit
from services.access import can_see_trainee
from services.auth import AccessDenied, Actor
from services.catalog import LiveCatalog
from services.certificate_pdf import render_certificate
from services.certification.policy import CampaignRule, decide
from services.grading import GradingService
from services.practice import DIFFICULTIES, PracticeService, TurnStream
from services.views import PracticeError
from settings import Settings

T = TypeVar("T")
OUTCOMES = ("passed", "failed")


class CampaignSpec(BaseModel):
    """What an admin fills in to create a campaign (validated; errors name the field)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=3, max_length=120)
    scenarios: list[tuple[str, str]] = Field(min_length=1, max_length=20)
    draw_count: int | None = Field(default=None, ge=1, le=20)
    pass_mark: int = Field(default=70, ge=0, le=100)
    criterion_minimums: dict[str, int] = {}
    attempts_allowed: int = Field(default=1, ge=1, le=10)
    time_limit_minutes: int = Field(default=30, ge=5, le=480)
    opens_at: datetime
    closes_at: datetime
    trainees: list[str] = []
    teams: list[str] = []
    hide_aids: bool = True
    review_margin: int = Field(default=5, ge=0, le=30)

    @field_validator("scenarios")
    @classmethod
    def _difficulties(cls, value: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for slug, difficulty in value:
            if difficulty not in DIFFICULTIES:
                raise ValueError(f"'{slug}': unknown difficulty '{difficulty}' (easy, normal or hard)")
        return value

    @field_validator("criterion_minimums")
    @classmethod
    def _levels(cls, value: dict[str, int]) -> dict[str, int]:
        for cid, level in value.items():
            if not 0 <= level <= 3:
                raise ValueError(f"'{cid}': a minimum level is 0-3, got {level}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CampaignSpec:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        if self.draw_count is not None and self.draw_count > len(self.scenarios):
            raise ValueError(f"draw_count {self.draw_count} is more than the {len(self.scenarios)} scenarios")
        if not self.trainees and not self.teams:
            raise ValueError("assign at least one trainee or team")
        return self


@dataclass(frozen=True)
class CampaignView:
    id: int
    name: str
    status: str
    pass_mark: int
    criterion_minimums: dict[str, int]
    attempts_allowed: int
    time_limit_minutes: int
    opens_at: datetime
    closes_at: datetime
    hide_aids: bool
    draw_count: int | None
    review_margin: int
    scenarios: tuple[tuple[str, str, str | None], ...]
    assigned_trainees: tuple[str, ...]
    assigned_teams: tuple[str, ...]
    rubric_version: str | None
    attempts_used: int = 0


@dataclass(frozen=True)
class ReviewView:
    outcome: str
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class AttemptView:
    id: int
    campaign_id: int
    campaign: str
    trainee: str
    number: int
    status: str
    outcome: str
    position: int
    scenarios: int
    session_id: int | None
    started_at: datetime
    deadline: datetime
    ended_at: datetime | None
    hide_aids: bool
    score: int | None = None
    deterministic_score: int | None = None
    judge_score: int | None = None
    rule: str | None = None
    review_reasons: tuple[str, ...] = ()
    reviews: tuple[ReviewView, ...] = ()
    certificate: str | None = None
    session_ids: tuple[int, ...] = ()
    #: Whether the browser session that asked holds the attempt (None when it did not say who it is).
    held_here: bool | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"

    def seconds_left(self, now: datetime | None = None) -> int:
        return max(0, int((self.deadline - (now or utcnow())).total_seconds()))


@dataclass(frozen=True)
class CheckIn:
    """What happened when a browser session checked in on its trainee's attempt.

    ``kind``: ``held`` (this session holds it; its heartbeat was recorded), ``resumed`` (this session took it
    over within the reconnect grace), ``elsewhere`` (another session holds it and may still come back),
    ``abandoned`` (the holder was silent past the grace: ended now), ``expired`` (its time ran out: ended now)
    or ``ended`` (it had ended before).
    """

    kind: str
    view: AttemptView
    grace_seconds: int

    @property
    def changed(self) -> bool:
        """The attempt ended during this check-in (the page shows the result and its navigation again)."""
        return self.kind in ("abandoned", "expired")

    @property
    def notice(self) -> str | None:
        grace = self.grace_seconds
        return {
            "resumed": "You were reconnected to your attempt after a reload or a lost connection. The clock kept "
                       "running while you were away.",
            "elsewhere": "This attempt continues in another window or tab. Only one window can drive an attempt; "
                         "continue there, or take it back here.",
            "abandoned": f"You were away from this attempt for longer than the {grace}-second reconnect grace "
                         "(a reload, a closed window or a lost connection), so it counts as abandoned and has "
                         "been graded as not passed.",
            "expired": "Time is up: the attempt has ended and is graded on what you did.",
        }.get(self.kind)


class RateLimited(PracticeError):
    """Too many requests from one client in the current minute."""


@dataclass(frozen=True)
class CampaignRow:
    """One assigned trainee on HR's campaign report (and one line of its CSV)."""

    trainee: str
    team: str
    attempts: int
    status: str
    outcome: str
    best_score: int | None
    certificate: str | None = None
    #: The attempt the certificate belongs to (for its PDF).
    certificate_attempt: int | None = None

    def csv_row(self) -> dict[str, str | int]:
        return {"trainee": self.trainee, "team": self.team, "attempts": self.attempts, "status": self.status,
                "outcome": self.outcome, "best_score": "" if self.best_score is None else self.best_score,
                "certificate": self.certificate or ""}


CSV_FIELDS = ("trainee", "team", "attempts", "status", "outcome", "best_score", "certificate")


@dataclass(frozen=True)
class CertificateCheck:
    code: str
    valid: bool
    message: str
    holder: str | None = None
    campaign: str | None = None
    score: int | None = None
    issued_at: datetime | None = None


@dataclass(frozen=True)
class WeakSpot:
    """A criterion's average level over a campaign's graded chats."""

    criterion: str
    title: str
    average_level: float
    graded: int


@dataclass
class CampaignReport:
    campaign: CampaignView
    assigned: int = 0
    started: int = 0
    completed: int = 0
    passed: int = 0
    awaiting_review: int = 0
    #: Trainees with a final outcome (passed, or failed with nothing awaiting review or grading).
    decided: int = 0
    weak_spots: list[WeakSpot] = field(default_factory=list)
    rows: list[CampaignRow] = field(default_factory=list)

    @property
    def pass_rate(self) -> float | None:
        """Passed over decided trainees; None while nobody's result is final (see ``pass_rate_label``)."""
        return self.passed / self.decided if self.decided else None

    @property
    def pass_rate_label(self) -> str:
        undecided = self.completed - self.decided
        if self.pass_rate is None:
            return "pending" if undecided else "–"
        return f"{self.pass_rate:.0%}" + (f" ({undecided} pending)" if undecided else "")


def certificate_file_name(code: str) -> str:
    return f"certificate-{code}.pdf"


def _certificate_code() -> str:
    raw = secrets.token_hex(6).upper()
    return f"CERT-{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def campaign_rubric(text: str, pass_mark: int) -> Rubric:
    """A campaign's frozen rubric with the campaign's pass mark: each chat graded in the campaign carries that mark
    (and the campaign's rubric version), so an override of a criterion later recomputes the chat's pass against the
    campaign's mark, not the rubric file's."""
    return parse_rubric(text).model_copy(update={"pass_mark": pass_mark})


class CertificationService:
    def __init__(self, settings: Settings, catalog: LiveCatalog, sessions: sessionmaker[Session],
                 practice: PracticeService, grading: GradingService) -> None:
        self.settings = settings
        self.catalog = catalog
        self.sessions = sessions
        self.practice = practice
        self.grading = grading

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _admin(actor: Actor) -> None:
        if actor.role not in ("admin", "system"):
            raise AccessDenied("Only admins (HR) manage certification campaigns.")

    @staticmethod
    def _commit(db: Session, change: Callable[[], T]) -> T:
        return repo.commit_audited(db, change)

    def _campaign(self, db: Session, campaign_id: int) -> Campaign:
        row = db.get(Campaign, campaign_id)
        if row is None:
            raise PracticeError(f"No campaign with id {campaign_id}.")
        return row

    def _view(self, db: Session, row: Campaign, user_id: int | None = None) -> CampaignView:
        users = [db.get(User, a.user_id) for a in row.assignments if a.user_id is not None]
        used = 0
        if user_id is not None:
            used = db.scalar(select(func.count()).select_from(Attempt).where(
                Attempt.campaign_id == row.id, Attempt.user_id == user_id)) or 0
        return CampaignView(
            row.id, row.name, row.status, row.pass_mark, json.loads(row.criterion_minimums), row.attempts_allowed,
            row.time_limit_minutes, row.opens_at, row.closes_at, row.hide_aids, row.draw_count, row.review_margin,
            tuple((s.persona_slug, s.difficulty, s.persona_version) for s in row.scenarios),
            tuple(sorted(u.username for u in users if u is not None)),
            tuple(sorted(a.team for a in row.assignments if a.team)), row.rubric_version, used)

    def _assigned(self, row: Campaign, user: User) -> bool:
        return any(a.user_id == user.id or (a.team is not None and a.team == user.team) for a in row.assignments)

    # -- campaigns (admin) -----------------------------------------------------------------
    def create_campaign(self, actor: Actor, spec: CampaignSpec | dict[str, Any]) -> CampaignView:
        self._admin(actor)
        try:
            spec = spec if isinstance(spec, CampaignSpec) else CampaignSpec.model_validate(spec)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "campaign"
            raise PracticeError(f"{where}: {first['msg']}") from None
        unknown = sorted({slug for slug, _ in spec.scenarios} - set(self.catalog.personas))
        if unknown:
            raise PracticeError(f"Unknown persona(s): {', '.join(unknown)}.")
        criteria = {c.id for c in load_rubric().criteria}
        bad = sorted(set(spec.criterion_minimums) - criteria)
        if bad:
            raise PracticeError(f"Unknown criteria: {', '.join(bad)} (known: {', '.join(sorted(criteria))}).")
        with self.sessions() as db:
            users = {u.username: u for u in db.scalars(select(User).where(User.username.in_(
                [t.lower() for t in spec.trainees])))}
            missing = sorted({t.lower() for t in spec.trainees} - set(users))
            if missing:
                raise PracticeError(f"Unknown trainee(s): {', '.join(missing)}.")

            def change() -> Campaign:
                row = Campaign(name=spec.name, status="draft", pass_mark=spec.pass_mark,
                               criterion_minimums=json.dumps(spec.criterion_minimums, sort_keys=True),
                               attempts_allowed=spec.attempts_allowed, time_limit_minutes=spec.time_limit_minutes,
                               opens_at=spec.opens_at, closes_at=spec.closes_at, hide_aids=spec.hide_aids,
                               draw_count=spec.draw_count, review_margin=spec.review_margin,
                               created_by=actor.username)
                row.scenarios = [CampaignScenario(position=i, persona_slug=slug, difficulty=difficulty)
                                 for i, (slug, difficulty) in enumerate(spec.scenarios)]
                row.assignments = ([CampaignAssignment(user_id=u.id) for u in users.values()]
                                   + [CampaignAssignment(team=t) for t in sorted(set(spec.teams))])
                audit.append(db, actor=actor.username, action="campaign.created", subject_type="campaign", row=row)
                return row

            try:
                row = self._commit(db, change)
            except IntegrityError:
                raise PracticeError(f"A campaign named '{spec.name}' exists already.") from None
            return self._view(db, row)

    def open_campaign(self, actor: Actor, campaign_id: int) -> CampaignView:
        """Freeze the persona versions and the rubric, and let assigned trainees start attempts."""
        self._admin(actor)
        rubric_text = RUBRIC_PATH.read_text(encoding="utf-8")
        with self.sessions() as db:
            row = self._campaign(db, campaign_id)
            if row.status != "draft":
                raise PracticeError(f"Campaign '{row.name}' is {row.status}; only a draft can be opened.")

            def change() -> Campaign:
                for s in row.scenarios:
                    s.persona_version = version_hash(self.catalog.get(s.persona_slug))
                rubric = campaign_rubric(rubric_text, row.pass_mark)
                row.rubric_yaml, row.rubric_version = rubric_text, rubric_hash(rubric)
                row.status, row.opened_at = "open", utcnow()
                audit.append(db, actor=actor.username, action="campaign.opened", subject_type="campaign", row=row)
                return row

            return self._view(db, self._commit(db, change))

    def close_campaign(self, actor: Actor, campaign_id: int) -> CampaignView:
        self._admin(actor)
        with self.sessions() as db:
            row = self._campaign(db, campaign_id)
            if row.status != "open":
                raise PracticeError(f"Campaign '{row.name}' is {row.status}; only an open one can be closed.")

            def change() -> Campaign:
                row.status = "closed"
                audit.append(db, actor=actor.username, action="campaign.closed", subject_type="campaign", row=row)
                return row

            return self._view(db, self._commit(db, change))

    def campaigns(self, actor: Actor) -> list[CampaignView]:
        """Admins: every campaign. Trainees: the open ones assigned to them. Trainers: those of their trainees."""
        with self.sessions() as db:
            rows = db.scalars(select(Campaign).order_by(Campaign.opens_at.desc(), Campaign.id.desc())).all()
            if actor.role in ("admin", "system", "trainer"):
                return [self._view(db, r) for r in rows]
            user = db.get(User, actor.id) if actor.id is not None else None
            if user is None:
                return []
            now = utcnow()
            return [self._view(db, r, user.id) for r in rows
                    if r.status == "open" and r.opens_at <= now < r.closes_at and self._assigned(r, user)]

    # -- attempts (trainee) ----------------------------------------------------------------
    @staticmethod
    def _race_window() -> None:
        """Between counting the attempts used and inserting the next one: where two tabs race. The race test
        holds both tabs here; only the database's unique key then decides."""
    def start_attempt(self, actor: Actor, campaign_id: int, *, holder: str) -> AttemptView:
        """Start the next attempt (or resume the one this browser session holds)."""
        with self.sessions() as db:
            campaign = self._campaign(db, campaign_id)
            user = db.get(User, actor.id) if actor.id is not None else None
            if user is None or not self._assigned(campaign, user):
                raise AccessDenied("This campaign is not assigned to you.")
            now = utcnow()
            if campaign.status != "open" or not campaign.opens_at <= now < campaign.closes_at:
                raise PracticeError(f"Campaign '{campaign.name}' is not open now.")
            active = db.scalar(select(Attempt).where(Attempt.campaign_id == campaign.id,
                                                     Attempt.user_id == user.id, Attempt.status == "active"))
            if active is not None:
                if active.holder == holder or self._within_grace(active, now):  # a reload: resume it
                    resumed = self._check_in(db, actor, active, holder, take_over=True).view
                    if resumed.active:
                        return resumed
                else:
                    self._end(db, active, "abandoned", actor.username)  # away past the grace: the trainee left it
            used = db.scalar(select(func.count()).select_from(Attempt).where(
                Attempt.campaign_id == campaign.id, Attempt.user_id == user.id)) or 0
            if used >= campaign.attempts_allowed:
                raise PracticeError(f"You have used all {campaign.attempts_allowed} attempt(s) of "
                                    f"'{campaign.name}'.")
            self._race_window()
            seed = secrets.randbelow(2**31)
            pool = [s.id for s in campaign.scenarios]
            plan = (random.Random(seed).sample(pool, campaign.draw_count) if campaign.draw_count else pool)

            def change() -> Attempt:
                row = Attempt(campaign_id=campaign.id, user_id=user.id, number=used + 1, seed=seed,
                              plan=json.dumps(plan), position=0, holder=holder, holder_seen_at=now,
                              status="active", started_at=now,
                              deadline=min(now + timedelta(minutes=campaign.time_limit_minutes), campaign.closes_at),
                              outcome="pending")
                audit.append(db, actor=actor.username, action="attempt.started", subject_type="attempt", row=row)
                return row

            try:
                attempt = self._commit(db, change)
            except IntegrityError:
                raise PracticeError("Another tab or window started an attempt at the same moment: this one was "
                                    "not started. Continue in the other one.") from None
            attempt_id = attempt.id
        self._start_scenario(actor, attempt_id)
        return self.attempt(actor, attempt_id, holder=holder)

    def _start_scenario(self, actor: Actor, attempt_id: int) -> None:
        with self.sessions() as db:
            attempt = db.get(Attempt, attempt_id)
            assert attempt is not None
            scenario = db.get(CampaignScenario, json.loads(attempt.plan)[attempt.position])
            assert scenario is not None
            slug, difficulty, version = scenario.persona_slug, scenario.difficulty, scenario.persona_version
            seed = attempt.seed + attempt.position
        self.practice.start(actor, persona_slug=slug, difficulty=difficulty, seed=seed, persona_version=version,
                            attempt_id=attempt_id).finish()

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.settings.attempt_reconnect_grace_seconds)

    def _within_grace(self, row: Attempt, now: datetime) -> bool:
        """Whether the attempt's holder checked in recently enough for another session to take it over."""
        return self._left_at(row, now) is None

    def _heartbeat_every(self) -> timedelta:
        """How often a holder's check-in is written: often enough for the grace, rarely enough to be cheap."""
        return timedelta(seconds=max(1, min(5, self.settings.attempt_reconnect_grace_seconds // 3)))

    def _held(self, db: Session, actor: Actor, attempt_id: int, holder: str) -> Attempt:
        """The actor's active attempt, held by this browser session; ends it if it was left past the reconnect
        grace or ran out of time. Another session's attempt is refused (it is not ended while it may return)."""
        row = db.get(Attempt, attempt_id)
        if row is None or row.user_id != actor.id:
            raise AccessDenied(f"No attempt with id {attempt_id}.")
        if row.status != "active":
            raise PracticeError("This attempt has ended.")
        now = utcnow()
        if now >= row.deadline:
            if row.holder != holder and self._left_at(row, now) is not None:
                self._end(db, row, "abandoned", actor.username)
                raise PracticeError("You were away from this attempt for longer than the reconnect grace, so it "
                                    "counts as abandoned.")
            self._end(db, row, "expired", actor.username)
            raise PracticeError("Time is up: the attempt has ended and is graded on what you did.")
        if row.holder != holder:
            if self._within_grace(row, now):
                raise PracticeError("This attempt continues in another window or tab, so this one cannot "
                                    "answer; nothing was sent. Reload this page to continue it here.")
            self._end(db, row, "abandoned", actor.username)
            raise PracticeError("You were away from this attempt for longer than the reconnect grace, so it "
                                "counts as abandoned.")
        if row.holder_seen_at is None or now - row.holder_seen_at >= self._heartbeat_every():
            row.holder_seen_at = now
            db.commit()
        return row

    def running_attempt(self, actor: Actor) -> AttemptView | None:
        """The trainee's attempt that has not ended (whichever browser session holds it), if any. A read."""
        if actor.id is None:
            return None
        with self.sessions() as db:
            row = db.scalar(select(Attempt).where(Attempt.user_id == actor.id, Attempt.status == "active")
                            .order_by(Attempt.id.desc()).limit(1))
            return self._attempt_view(db, row) if row is not None else None

    def check_in(self, actor: Actor, attempt_id: int, *, holder: str, take_over: bool = False) -> CheckIn:
        """A browser session checks in on its trainee's attempt: the holder's heartbeat, a returning session
        taking the attempt over within the grace (``take_over``), or ending it once it was left past the
        grace or its time ran out. See :class:`CheckIn` for the outcomes."""
        with self.sessions() as db:
            row = db.get(Attempt, attempt_id)
            if row is None or row.user_id != actor.id:
                raise AccessDenied(f"No attempt with id {attempt_id}.")
            return self._check_in(db, actor, row, holder, take_over=take_over)

    def heartbeat(self, actor: Actor, attempt_id: int, *, holder: str) -> bool:
        """The running page's once-a-second check-in, kept cheap (one read, a write every few seconds): True
        while this browser session holds the running attempt and its time is not up. False means the page
        reruns and :meth:`check_in` says what happened."""
        with self.sessions() as db:
            row = db.get(Attempt, attempt_id)
            if row is None or row.user_id != actor.id:
                raise AccessDenied(f"No attempt with id {attempt_id}.")
            now = utcnow()
            if row.status != "active" or row.holder != holder or now >= row.deadline:
                return False
            if row.holder_seen_at is None or now - row.holder_seen_at >= self._heartbeat_every():
                row.holder_seen_at = now
                db.commit()
            return True

    def _check_in(self, db: Session, actor: Actor, row: Attempt, holder: str, *, take_over: bool) -> CheckIn:
        grace = self.settings.attempt_reconnect_grace_seconds

        def result(kind: str) -> CheckIn:
            return CheckIn(kind, self._attempt_view(db, row, holder), grace)

        if row.status != "active":
            return result("ended")
        now = utcnow()
        if now >= row.deadline:
            left = row.holder != holder and self._left_at(row, now) is not None
            self._end(db, row, "abandoned" if left else "expired", actor.username)
            return result("abandoned" if left else "expired")
        if row.holder == holder:
            if row.holder_seen_at is None or now - row.holder_seen_at >= self._heartbeat_every():
                row.holder_seen_at = now  # a heartbeat: not audited (nothing about the result changes)
                db.commit()
            return result("held")
        if self._left_at(row, now) is not None:
            self._end(db, row, "abandoned", actor.username)
            return result("abandoned")
        if not take_over:
            return result("elsewhere")

        def change() -> Attempt:
            row.holder, row.holder_seen_at = holder, now
            audit.append(db, actor=actor.username, action="attempt.resumed", subject_type="attempt", row=row)
            return row

        self._commit(db, change)
        return result("resumed")

    def send(self, actor: Actor, attempt_id: int, text: str, *, holder: str) -> TurnStream:
        with self.sessions() as db:
            row = self._held(db, actor, attempt_id, holder)
            session_id = row.sessions[-1].id
        return self.practice.send(actor, session_id, text, via_attempt=True)

    def retry(self, actor: Actor, attempt_id: int, *, holder: str) -> TurnStream:
        with self.sessions() as db:
            row = self._held(db, actor, attempt_id, holder)
            session_id = row.sessions[-1].id
        return self.practice.retry(actor, session_id, via_attempt=True)

    def next_scenario(self, actor: Actor, attempt_id: int, *, holder: str) -> AttemptView:
        """End the current scenario's chat and open the next one, or finish the attempt after the last."""
        with self.sessions() as db:
            row = self._held(db, actor, attempt_id, holder)
            current = row.sessions[-1]
            if not any(m.role == "agent" for m in current.messages):
                raise PracticeError("Answer the customer at least once before moving on.")
            if current.status == "active":
                db.commit()  # give the connection back while the practice service ends the chat with its own
                self.practice.end(actor, current.id, via_attempt=True)
            last = row.position + 1 >= len(json.loads(row.plan))
            if last:
                self._end(db, row, "completed", actor.username)
                return self._attempt_view(db, row)

            def change() -> Attempt:
                row.position += 1
                audit.append(db, actor=actor.username, action="attempt.progressed", subject_type="attempt", row=row)
                return row

            self._commit(db, change)
        self._start_scenario(actor, attempt_id)
        return self.attempt(actor, attempt_id, holder=holder)

    def expire_overdue(self, actor: Actor, campaign_id: int | None = None) -> int:
        """End the attempts left behind (the window closed and was never opened again) whose time is up, graded on
        what was done; returns how many. Staff pages call it before they list (HR's report, the review queue):
        listing itself never changes data."""
        if not (actor.is_staff or actor.role == "system"):
            raise AccessDenied("Only trainers and admins end overdue attempts.")
        query = select(Attempt.id).where(Attempt.status == "active", Attempt.deadline <= utcnow())
        if campaign_id is not None:
            query = query.where(Attempt.campaign_id == campaign_id)
        ended = 0
        with self.sessions() as db:
            for attempt_id in db.scalars(query.order_by(Attempt.id)).all():
                row = db.get(Attempt, attempt_id)
                if row is not None:
                    db.refresh(row)
                if row is not None and row.status == "active":  # not ended meanwhile by its trainee or a viewer
                    self._end(db, row, "abandoned" if self._left_at(row) is not None else "expired", actor.username)
                    ended += 1
        return ended

    def _left_at(self, row: Attempt, now: datetime | None = None) -> datetime | None:
        """When the trainee left a running attempt: its holder's last check-in plus the grace, if that is
        already past and came before the deadline (left, not merely out of time). None while it is attended."""
        left = (row.holder_seen_at or row.started_at) + self.grace
        return left if left < min(now or utcnow(), row.deadline) else None

    def abandon(self, actor: Actor, attempt_id: int, *, holder: str) -> AttemptView:
        with self.sessions() as db:
            row = self._held(db, actor, attempt_id, holder)
            self._end(db, row, "abandoned", actor.username)
            return self._attempt_view(db, row)

    def _end(self, db: Session, row: Attempt, status: str, by: str) -> None:
        """End an attempt, grade its chats with the campaign's frozen rubric and decide its outcome."""
        campaign = db.get(Campaign, row.campaign_id)
        assert campaign is not None
        rubric = campaign_rubric(campaign.rubric_yaml or RUBRIC_PATH.read_text(encoding="utf-8"), campaign.pass_mark)
        db.commit()  # end this read transaction: the chats are ended and graded in their own ones
        db.expire_all()  # and read them afresh (sessions are made with expire_on_commit=False)
        chats = [(s.id, s.status == "active", any(m.role == "agent" for m in s.messages)) for s in row.sessions]
        db.commit()  # and give the connection back: the services below use their own (see test_one_connection)
        reports = []
        for session_id, active, answered in chats:
            if active:
                self.practice.end(Actor.system(), session_id)
            if answered:
                reports.append(self.grading.grade_session(Actor.system(), session_id, rubric=rubric).report)
        decision = decide(reports, CampaignRule(
            scenarios=len(json.loads(row.plan)), pass_mark=campaign.pass_mark,
            minimums=json.loads(campaign.criterion_minimums), review_margin=campaign.review_margin,
            judge_configured=self.settings.judge == "llm"))
        if status == "abandoned":
            decision = decision.abandoned()

        def change() -> Attempt:
            row.status, row.ended_at = status, utcnow()
            row.score, row.deterministic_score = decision.score, decision.deterministic_score
            row.judge_score, row.rule, row.outcome = decision.judge_score, decision.rule, decision.outcome
            row.review_reasons = json.dumps(list(decision.reasons))
            audit.append(db, actor=by, action=f"attempt.{status}", subject_type="attempt", row=row)
            if row.outcome == "passed":
                self._issue(db, row, campaign, by)
            return row

        self._commit(db, change)

    def _issue(self, db: Session, row: Attempt, campaign: Campaign, by: str) -> None:
        cert = Certificate(code=_certificate_code(), attempt_id=row.id,
                           holder=row.user.full_name or row.user.username, campaign=campaign.name, score=row.score or 0)
        audit.append(db, actor=by, action="certificate.issued", subject_type="certificate", row=cert)

    def attempt(self, actor: Actor, attempt_id: int, *, holder: str | None = None) -> AttemptView:
        """An attempt: its trainee, or staff who may see that trainee. A read: it neither takes the attempt over
        nor ends it (:meth:`check_in` does); with ``holder`` the view says whether that session holds it."""
        with self.sessions() as db:
            row = db.get(Attempt, attempt_id)
            if row is None:
                raise PracticeError(f"No attempt with id {attempt_id}.")
            mine = actor.id is not None and row.user_id == actor.id
            if not mine and not can_see_trainee(actor, row.user.username, row.user.team, self.settings):
                raise AccessDenied(f"No attempt with id {attempt_id}.")
            return self._attempt_view(db, row, holder if mine else None)

    def my_attempts(self, actor: Actor, campaign_id: int) -> list[AttemptView]:
        with self.sessions() as db:
            rows = db.scalars(select(Attempt).where(Attempt.campaign_id == campaign_id, Attempt.user_id == actor.id)
                              .order_by(Attempt.number)).all()
            return [self._attempt_view(db, r) for r in rows]

    def _attempt_view(self, db: Session, row: Attempt, holder: str | None = None) -> AttemptView:
        campaign = db.get(Campaign, row.campaign_id)
        assert campaign is not None
        reviews = db.scalars(select(AttemptReview).where(AttemptReview.attempt_id == row.id)
                             .order_by(AttemptReview.id)).all()
        cert = db.scalar(select(Certificate.code).where(Certificate.attempt_id == row.id))
        sessions = [s.id for s in row.sessions]
        return AttemptView(
            row.id, row.campaign_id, campaign.name, row.user.username, row.number, row.status, row.outcome,
            row.position, len(json.loads(row.plan)), sessions[-1] if sessions else None, row.started_at,
            row.deadline, row.ended_at, campaign.hide_aids, row.score, row.deterministic_score, row.judge_score,
            row.rule, tuple(json.loads(row.review_reasons or "[]")),
            tuple(ReviewView(r.outcome, r.reason, r.by_username, r.created_at) for r in reviews), cert,
            tuple(sessions), None if holder is None else row.holder == holder)

    # -- review (trainers and admins) ------------------------------------------------------
    def review_queue(self, actor: Actor) -> list[AttemptView]:
        if not actor.is_staff:
            raise AccessDenied("Only trainers and admins review certification results.")
        with self.sessions() as db:
            rows = db.scalars(select(Attempt).where(Attempt.outcome == "review").order_by(Attempt.ended_at)).all()
            return [self._attempt_view(db, r) for r in rows
                    if can_see_trainee(actor, r.user.username, r.user.team, self.settings)]

    def review(self, actor: Actor, attempt_id: int, *, outcome: str, reason: str) -> AttemptView:
        """Confirm or change an ended attempt's outcome, with a reason (a new row; the result shows who did it)."""
        if not actor.is_staff:
            raise AccessDenied("Only trainers and admins review certification results.")
        if outcome not in OUTCOMES:
            raise PracticeError("The outcome is passed or failed.")
        reason = reason.strip()
        if len(reason) < 5:
            raise PracticeError("Give a reason (at least 5 characters).")
        with self.sessions() as db:
            row = db.get(Attempt, attempt_id)
            if row is None or not can_see_trainee(actor, row.user.username, row.user.team, self.settings):
                raise AccessDenied(f"No attempt with id {attempt_id}.")
            if row.status == "active":
                raise PracticeError("This attempt is still running.")
            if row.user_id == actor.id:
                raise AccessDenied("Nobody reviews their own attempt.")
            campaign = db.get(Campaign, row.campaign_id)
            assert campaign is not None

            def change() -> Attempt:
                review = AttemptReview(attempt_id=row.id, outcome=outcome, reason=reason[:2000],
                                       by_username=actor.username)
                db.add(review)
                row.outcome = outcome
                audit.append(db, actor=actor.username, action="attempt.reviewed", subject_type="review", row=review)
                audit.append(db, actor=actor.username, action=f"attempt.{outcome}", subject_type="attempt", row=row)
                has_cert = db.scalar(select(Certificate.id).where(Certificate.attempt_id == row.id))
                if outcome == "passed" and has_cert is None:
                    self._issue(db, row, campaign, actor.username)
                return row

            self._commit(db, change)
            return self._attempt_view(db, row)

    # -- HR's view -------------------------------------------------------------------------
    def report(self, actor: Actor, campaign_id: int) -> CampaignReport:
        self._admin(actor)
        with self.sessions() as db:
            campaign = self._campaign(db, campaign_id)
            view = self._view(db, campaign)
            teams = [a.team for a in campaign.assignments if a.team]
            direct = [a.user_id for a in campaign.assignments if a.user_id is not None]
            assigned = db.scalars(select(User).where((User.id.in_(direct)) | (User.team.in_(teams)))
                                  .order_by(User.username)).all() if (teams or direct) else []
            attempts = db.scalars(select(Attempt).where(Attempt.campaign_id == campaign_id)
                                  .order_by(Attempt.user_id, Attempt.number)).all()
            out = CampaignReport(view, assigned=len(assigned))
            by_user: dict[int, list[Attempt]] = {}
            for a in attempts:
                by_user.setdefault(a.user_id, []).append(a)
            out.started = len(by_user)
            out.completed = sum(1 for tries in by_user.values() if any(a.status != "active" for a in tries))
            out.passed = sum(1 for tries in by_user.values() if any(a.outcome == "passed" for a in tries))
            out.awaiting_review = sum(1 for a in attempts if a.outcome == "review")
            out.decided = out.passed + sum(
                1 for tries in by_user.values()
                if not any(a.outcome == "passed" for a in tries) and any(a.status != "active" for a in tries)
                and not any(a.outcome in ("review", "pending") and a.status != "active" for a in tries))
            codes = {attempt_id: code for attempt_id, code in db.execute(
                select(Certificate.attempt_id, Certificate.code).where(
                    Certificate.attempt_id.in_([a.id for a in attempts])))} if attempts else {}
            levels: dict[str, list[int]] = {}
            for a in attempts:
                for s in a.sessions:
                    grade = repo.latest_grade(db, s.id)
                    if grade is None:
                        continue
                    for c in GradeReport.from_json(grade.report_json).criteria:
                        if c.level is not None:
                            levels.setdefault(c.id, []).append(c.level)
            titles = {c.id: c.name for c in (parse_rubric(campaign.rubric_yaml) if campaign.rubric_yaml
                                             else load_rubric()).criteria}
            out.weak_spots = sorted((WeakSpot(cid, titles.get(cid, cid), round(mean(v), 2), len(v))
                                     for cid, v in levels.items()), key=lambda w: w.average_level)
            for user in assigned:
                tries = by_user.get(user.id, [])
                best = max((a.score for a in tries if a.score is not None), default=None)
                certified = next((a.id for a in reversed(tries) if a.id in codes), None)
                status = tries[-1].status if tries else "not started"
                left = self._left_at(tries[-1]) if status == "active" else None
                if left is not None:
                    status = f"left at {left:%H:%M} UTC (counts as abandoned)"
                out.rows.append(CampaignRow(
                    trainee=user.username, team=user.team or "", attempts=len(tries), status=status,
                    outcome=next((a.outcome for a in reversed(tries) if a.outcome != "pending"),
                                 "pending" if tries else ""),
                    best_score=best, certificate=codes.get(certified) if certified is not None else None,
                    certificate_attempt=certified))
            return out

    def report_csv(self, actor: Actor, campaign_id: int) -> str:
        report = self.report(actor, campaign_id)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(CSV_FIELDS))
        writer.writeheader()
        writer.writerows(row.csv_row() for row in report.rows)
        return buffer.getvalue()

    # -- certificates ----------------------------------------------------------------------
    def certificate_pdf(self, actor: Actor, attempt_id: int) -> tuple[str, bytes]:
        """(file name, PDF) of an attempt's certificate: its holder, or staff who may see them."""
        view = self.attempt(actor, attempt_id)
        if view.certificate is None:
            raise PracticeError("This attempt has no certificate (only a pass gets one).")
        with self.sessions() as db:
            cert = db.scalar(select(Certificate).where(Certificate.code == view.certificate))
            assert cert is not None
            pdf = render_certificate(holder=cert.holder, campaign=cert.campaign, score=cert.score,
                                     issued_at=cert.issued_at, code=cert.code, public_url=self.settings.public_url)
            return certificate_file_name(cert.code), pdf

    def check_certificate(self, code: str, *, client: str) -> CertificateCheck:
        """The public Verify page: :meth:`verify_certificate`, at most ``verify_checks_per_minute`` times per
        minute for one client (its IP address), counted in the database so every app process shares the count.

        Raises:
            RateLimited: the client has used up this minute's checks (nothing was looked up).
        """
        limit = self.settings.verify_checks_per_minute
        wait = rate_limit.hit(self.sessions, f"verify:{client}", limit=limit)
        if wait:
            raise RateLimited(f"Too many checks from your address: at most {limit} per minute. Try again in "
                              f"{wait} seconds.")
        return self.verify_certificate(code)

    def verify_certificate(self, code: str) -> CertificateCheck:
        """Anyone may check a code: it is valid when it exists, its attempt passed, and the audit chain agrees."""
        code = code.strip().upper()
        with self.sessions() as db:
            cert = db.scalar(select(Certificate).where(Certificate.code == code))
            if cert is None:
                return CertificateCheck(code, False, "No certificate has this code.")
            attempt = db.get(Attempt, cert.attempt_id)
            if attempt is None or attempt.outcome != "passed":
                return CertificateCheck(code, False, "The attempt behind this certificate is no longer a pass.")
            entry = db.scalar(select(AuditEntry).where(AuditEntry.subject_type == "certificate",
                                                       AuditEntry.subject_id == cert.id)
                              .order_by(AuditEntry.id.desc()).limit(1))
            if entry is None or json.loads(entry.payload)["fingerprint"] != audit.fingerprint("certificate", cert):
                return CertificateCheck(code, False, "This certificate does not match the audit log: it was altered.")
            return CertificateCheck(code, True, "Valid certificate.", cert.holder, cert.campaign, cert.score,
                                    cert.issued_at)
