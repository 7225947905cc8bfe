"""The rubric file format (``grading/rubric.yaml``) and its loader."""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from personas import safe_yaml
from signals import SignalKind

if TYPE_CHECKING:
    from personas.loader import FieldError

RUBRIC_PATH = Path(__file__).parent / "rubric.yaml"
MAX_LEVEL = 3
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]
LevelNumber = Literal[0, 1, 2, 3]


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
    weight: Annotated[float, Field(gt=0, le=5)]
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
    cap: Annotated[int, Field(ge=0, le=100)]
    why: Text


class Rubric(Strict):
    version: int
    pass_mark: Annotated[int, Field(ge=0, le=100)]
    critical: list[Critical] = []
    criteria: Annotated[list[Criterion], Field(min_length=1)]

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
