"""Coaching lines: example sentences per persona and criterion (``grading/coaching/<slug>.yaml``).

The rubric says what each level means; these files say what a level-3 line sounds like *with this customer*
(a broadband price, a hotel fee, a double charge), written from the workshop material and the persona's story.
A persona without a file (one authored in the app, or a free-text hint) gets ``_generic.yaml``, whose lines
name no product.  The report picks, for each criterion, the line closest to what the trainee actually wrote.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from grading.rubric import load_rubric
from personas import safe_yaml
from personas.loader import yaml_line_of
from signals import content_words

log = logging.getLogger(__name__)
COACHING_DIR = Path(__file__).parent / "coaching"
GENERIC = "_generic"
Example = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=400)]


class Coaching(BaseModel):
    """One persona's example lines: criterion id -> level-3 lines for that customer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    persona: Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_-]*$", max_length=60)]
    lines: dict[str, Annotated[list[Example], Field(min_length=2)]]

    @field_validator("lines")
    @classmethod
    def _known_criteria(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        known = {c.id for c in load_rubric().criteria}
        for criterion in value:
            if criterion not in known:
                raise ValueError(f"'{criterion}' is not a rubric criterion ({', '.join(sorted(known))})")
        return value

    def for_criterion(self, criterion_id: str) -> list[str]:
        return list(self.lines.get(criterion_id, ()))


def parse_coaching(text: str, name: str) -> Coaching:
    """Validate one coaching file; ``ValueError`` names the file, the field and the YAML line."""
    try:
        raw, root = safe_yaml.parse(text)
    except yaml.YAMLError as exc:  # also an alias or nesting too deep (personas/safe_yaml.py)
        mark = getattr(exc, "problem_mark", None)
        raise ValueError(f"{name}: YAML syntax error" + (f" at line {mark.line + 1}" if mark else "")) from None
    try:
        return Coaching.model_validate(raw)
    except ValidationError as exc:
        first = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        loc = tuple(first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] == "value_error" and loc == ("lines",):  # name the offending key, not the mapping
            key = message.split("'")[1]
            loc = ("lines", key)
        line = yaml_line_of(root, loc)
        where = f" (line {line})" if line else ""
        raise ValueError(f"{name}: {'.'.join(map(str, loc)) or '(top level)'}{where}: {message}") from None


@lru_cache(maxsize=64)
def _load(path: Path) -> Coaching:
    coaching = parse_coaching(path.read_text(encoding="utf-8"), path.name)
    if coaching.persona != path.stem:
        raise ValueError(f"{path.name}: persona: '{coaching.persona}' must match the file name")
    return coaching


def load_coaching(persona: str, directory: Path = COACHING_DIR) -> Coaching:
    """The persona's coaching lines, or the generic ones when it has no file of its own.

    A broken persona file is logged and the generic lines are used: a chat is still graded (the test suite
    validates every shipped file, so this only protects a deployment edited by hand).
    """
    path = directory / f"{persona}.yaml"
    if persona != GENERIC and path.is_file() and path.parent == directory:
        try:
            return _load(path)
        except ValueError as exc:
            log.warning("coaching lines skipped: %s", exc)
    return _load(directory / f"{GENERIC}.yaml")


def _stems(text: str) -> set[str]:
    """Content words cut to five letters, so 'refund' meets 'refunded' and 'delivery' meets 'deliveries'."""
    return {w[:5] for w in content_words(text)}


def closest(lines: list[str], written: str) -> str:
    """The line sharing most words with what the trainee wrote (the first in the file on a tie)."""
    words = _stems(written)
    return max(lines, key=lambda line: (len(_stems(line) & words), -lines.index(line)))
