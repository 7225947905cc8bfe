"""What certification shows: campaign specs (validated), views of campaigns, attempts, HR's report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from db.models import utcnow
from services.practice import DIFFICULTIES

OUTCOMES = ("passed", "failed")


class CampaignSpec(BaseModel):
    """What HR or an admin fills in to create a campaign (validated; errors name the field)."""

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
    #: Applicable criteria the grader was trusted on when the outcome was decided, and those it was not.
    trusted: tuple[str, ...] = ()
    untrusted: tuple[str, ...] = ()
    #: The same criteria by name (as the campaign's frozen rubric names them): what people read.
    trusted_names: tuple[str, ...] = ()
    untrusted_names: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def trust_note(self) -> str | None:
        """Why a person did or did not need to look at this result, given the criteria the grader is trusted on
        (its agreement with trainers established). None when trust played no part: decided before trust was
        recorded, abandoned (which fails whatever the grades), or not yet graded. Names are joined with "; "
        (a name may hold a comma)."""
        if not (self.trusted or self.untrusted) or self.status in ("active", "abandoned") or self.outcome == "pending":
            return None
        lists = (f"Not yet trusted (the grader's agreement with trainers not yet established): "
                 f"{'; '.join(self.untrusted_names) or 'none'}. Trusted: {'; '.join(self.trusted_names) or 'none'}.")
        if self.reviews:
            return f"A reviewer decided this result. {lists}"
        if self.outcome == "review":
            return f"A person decides this result (why: above). {lists}"
        if not self.untrusted:
            return f"Decided without a reviewer: the grader is trusted on every criterion that applied. {lists}"
        result = "a pass" if self.outcome == "passed" else "not passed"
        return ("Decided without a reviewer: no criterion the grader is not yet trusted on could move the result "
                "across the pass mark or a criterion minimum (one level more or less on any one of them leaves it "
                f"{result}), so no person needed to look. {lists}")

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
