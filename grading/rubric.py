"""The rubric file format (``grading/rubric.yaml``) and its loader."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from personas import safe_yaml
from signals import SignalKind

if TYPE_CHECKING:
    from personas.loader import FieldError

RUBRIC_PATH = Path(__file__).parent / "rubric.yaml"
MAX_LEVEL = 3
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]
LevelNumber = Literal[0, 1, 2, 3]

# -- bounds: what a published rubric may say ------------------------------------------------------------------------
# Publishing refuses a rubric outside these (each a field error in the editor). A version stored before they existed
# is still read (old grades and campaigns name it) but is not put in play: see ``services/rubrics.py``.
#: Below 50 a chat passes with most of the rubric missed (``pass_mark: 0`` passed an insult); above 95 nobody passes.
PASS_MARK_BOUNDS = (50, 95)
#: Below 0.5 a criterion barely counts; above 5 one criterion outweighs the rest (the file uses 1 to 2).
WEIGHT_BOUNDS = (0.5, 5.0)
#: A critical error must fail the chat under every allowed pass mark, so its cap stays below the lowest one.
MAX_CAP = PASS_MARK_BOUNDS[0] - 1
#: More criteria than a trainee can read in one report (the file has 13).
MAX_CRITERIA = 30

_READING_STORED: ContextVar[bool] = ContextVar("reading_stored_rubric", default=False)
N = TypeVar("N", int, float)


@contextmanager
def _stored(reading: bool) -> Iterator[None]:
    token = _READING_STORED.set(reading)
    try:
        yield
    finally:
        _READING_STORED.reset(token)


def reading_stored() -> AbstractContextManager[None]:
    """Parse inside ``with reading_stored():`` to read a version stored before the bounds (they are not checked;
    the structure still is): an old version stays readable for its grades and campaigns, never put in play."""
    return _stored(True)


def _out_of_bounds(message: str) -> PydanticCustomError:
    return PydanticCustomError("rubric_bounds", message.replace("{", "{{").replace("}", "}}"))


def _between(low: N, high: N, why: str) -> AfterValidator:
    def check(value: N) -> N:
        if not _READING_STORED.get() and not low <= value <= high:
            raise _out_of_bounds(f"must be between {low:g} and {high:g}: {why}")
        return value

    return AfterValidator(check)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Level(Strict):
    meaning: Text
    examples: Annotated[list[Text], Field(min_length=1)]


class PositiveRule(Strict):
    """Reaching ``level`` needs ``kind`` in at least ``min_turns`` agent turns (each also holding ``with``)."""

    kind: SignalKind
    level: Annotated[int, Field(ge=1, le=MAX_LEVEL)]
    min_turns: Annotated[int, Field(ge=1, le=10)] = 1
    with_kind: SignalKind | None = Field(default=None, alias="with")


class NegativeRule(Strict):
    """Every agent turn holding ``kind`` costs ``penalty`` levels."""

    kind: SignalKind
    penalty: Annotated[int, Field(ge=1, le=MAX_LEVEL)]


class EvidenceRule(Strict):
    rule: Literal["signals", "bad_news", "mediation"] = "signals"
    baseline: Annotated[int, Field(ge=0, le=MAX_LEVEL)] = 0
    positive: list[PositiveRule] = []
    negative: list[NegativeRule] = []


class Applies(Strict):
    """When the conversation gave the agent the opportunity (otherwise: not applicable)."""

    always: bool = False
    if_any: list[SignalKind] = []
    persona_flag: Literal["language_barrier", "dispute"] | None = None
    min_agent_turns: Annotated[int, Field(ge=0, le=50)] = 0

    @model_validator(mode="after")
    def _one_condition(self) -> Applies:
        if not (self.always or self.if_any or self.persona_flag or self.min_agent_turns):
            raise ValueError("give at least one condition (always, if_any, persona_flag, min_agent_turns)")
        return self


class Criterion(Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]*$", max_length=40)]
    name: Text
    source: Text
    description: Text
    weight: Annotated[float, Field(gt=0, le=WEIGHT_BOUNDS[1]),
                      _between(*WEIGHT_BOUNDS, "below it a criterion barely counts, above it one outweighs the rest")]
    applies: Applies
    evidence: EvidenceRule
    levels: dict[LevelNumber, Level]

    @model_validator(mode="after")
    def _all_levels(self) -> Criterion:
        missing = {0, 1, 2, 3} - set(self.levels)
        if missing:
            raise ValueError(f"levels: missing {sorted(missing)}")
        return self

    def meaning(self, level: int) -> str:
        return self.levels[level].meaning  # type: ignore[index]

    def best_examples(self) -> list[str]:
        return list(self.levels[3].examples)


class Critical(Strict):
    """A signal so serious that the overall score cannot exceed ``cap`` when any agent turn shows it."""

    kind: SignalKind
    cap: Annotated[int, Field(ge=0, le=100), _between(0, MAX_CAP, f"stay below {PASS_MARK_BOUNDS[0]}, the lowest pass "
                                                                   "mark, so that a critical error always fails")]
    why: Text


def _sane_criteria(criteria: list[Criterion]) -> list[Criterion]:
    """At most :data:`MAX_CRITERIA`, and one that always applies (or a chat could have nothing to grade)."""
    if _READING_STORED.get():
        return criteria
    if len(criteria) > MAX_CRITERIA:
        raise _out_of_bounds(f"at most {MAX_CRITERIA} criteria (this has {len(criteria)})")
    if not any(c.applies.always for c in criteria):
        raise _out_of_bounds("at least one criterion must apply always (applies: {always: true}), or a chat can "
                             "have nothing to grade")
    return criteria


class Rubric(Strict):
    version: int
    pass_mark: Annotated[int, Field(ge=0, le=100), _between(*PASS_MARK_BOUNDS, "below it a chat passes with most of "
                                                                               "the rubric missed, above it hardly "
                                                                               "anyone passes")]
    critical: list[Critical] = []
    criteria: Annotated[list[Criterion], Field(min_length=1), AfterValidator(_sane_criteria)]

    @model_validator(mode="after")
    def _unique_ids(self) -> Rubric:
        ids = [c.id for c in self.criteria]
        if len(ids) != len(set(ids)):
            raise ValueError("criteria: ids must be unique")
        return self

    def get(self, criterion_id: str) -> Criterion:
        return next(c for c in self.criteria if c.id == criterion_id)


def rubric_hash(rubric: Rubric) -> str:
    canonical = json.dumps(rubric.model_dump(mode="json", by_alias=True), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def parse_rubric(text: str, name: str = "rubric.yaml") -> Rubric:
    """Parse and validate a rubric; ``ValueError`` names the file and the field."""
    try:
        raw = safe_yaml.load(text)
    except yaml.YAMLError as exc:  # also an alias or nesting too deep (personas/safe_yaml.py)
        mark = getattr(exc, "problem_mark", None)
        raise ValueError(f"{name}: YAML syntax error" + (f" at line {mark.line + 1}" if mark else "")) from exc
    try:
        return Rubric.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"]) or "(top level)"
        raise ValueError(f"{name}: {loc}: {first['msg']}") from exc


def check_rubric_text(text: str) -> tuple[Rubric | None, tuple[FieldError, ...]]:
    """Validate a rubric document; every problem comes back tied to its field path (and YAML line)."""
    from personas.loader import check_document

    return check_document(text, Rubric, "rubric")


@lru_cache(maxsize=64)
def out_of_bounds(text: str) -> str | None:
    """Why a stored version may not be put in play (the first problem, e.g. a pass mark below the bounds), or
    None; the bounds are checked even inside :func:`reading_stored`."""
    with _stored(False):
        rubric, errors = check_rubric_text(text)
    return None if rubric is not None else str(errors[0])


def with_version(text: str, number: int) -> str:
    """The rubric text with its top-level ``version:`` set to ``number`` (comments and layout kept)."""
    replaced, count = re.subn(r"(?m)^version:[^\n]*$", f"version: {number}", text, count=1)
    return replaced if count else f"version: {number}\n{text}"


def same_text(a: str, b: str) -> bool:
    """Whether two rubric texts are the same but for their version number."""
    return with_version(a, 0) == with_version(b, 0)


@lru_cache(maxsize=4)
def load_rubric(path: Path = RUBRIC_PATH) -> Rubric:
    return parse_rubric(path.read_text(encoding="utf-8"), path.name)
