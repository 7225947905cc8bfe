"""Load and validate every persona file; a broken file is skipped, never fatal."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from personas import safe_yaml
from personas.schema import Persona

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class SkippedFile:
    """A persona file that could not be loaded, with a message naming file and field."""

    path: Path
    message: str


@dataclass
class PersonaCatalog:
    personas: dict[str, Persona] = field(default_factory=dict)
    skipped: list[SkippedFile] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)

    def get(self, slug: str) -> Persona:
        """The persona with ``slug``; ``KeyError`` with the known slugs otherwise."""
        try:
            return self.personas[slug]
        except KeyError:
            known = ", ".join(sorted(self.personas)) or "none"
            raise KeyError(f"unknown persona '{slug}' (known: {known})") from None


def version_hash(persona: Persona) -> str:
    """A short, stable hash of the persona's content: sessions record which version they ran."""
    canonical = json.dumps(persona.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class FieldError:
    """One problem, tied to a field path (``difficulty.hard.sensitivity``) and, when known, a YAML line."""

    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.field}{where}: {self.message}"


@dataclass(frozen=True)
class PersonaCheck:
    persona: Persona | None
    errors: tuple[FieldError, ...] = ()


def yaml_line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The line of the node at ``loc`` in the composed YAML (or of its nearest existing parent)."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if getattr(k, "value", None) == str(part)), None)
            if match is None:
                return line
            key, node = match
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def check_document(text: str, model: type[M], noun: str) -> tuple[M | None, tuple[FieldError, ...]]:
    """Validate one YAML document (a persona, a rubric) against ``model``; every problem comes back tied to its
    field path (and YAML line)."""
    try:
        raw, root = safe_yaml.parse(text)
    except yaml.YAMLError as exc:  # also an alias or nesting too deep (personas/safe_yaml.py)
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        return None, (FieldError("(YAML syntax)", str(problem), mark.line + 1 if mark else None),)
    if not isinstance(raw, dict):
        found = "nothing" if raw is None else type(raw).__name__
        return None, (FieldError("(top level)", f"expected a mapping of {noun} fields, got {found}"),)
    try:
        return model.model_validate(raw), ()
    except ValidationError as exc:
        # An unknown key is usually a typo and the cause of the "Field required" errors: show it first.
        ordered = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        return None, tuple(FieldError(".".join(str(x) for x in e["loc"]) or "(top level)", e["msg"],
                                      yaml_line_of(root, tuple(e["loc"]))) for e in ordered)


def check_persona_text(text: str, *, expected_slug: str | None = None) -> PersonaCheck:
    """Validate one persona document; every problem comes back tied to its field (and YAML line)."""
    persona, errors = check_document(text, Persona, "persona")
    if persona is None:
        return PersonaCheck(None, errors)
    if expected_slug is not None and persona.slug != expected_slug:
        return PersonaCheck(None, (FieldError("slug", f"'{persona.slug}' must match the file name '{expected_slug}'",
                                              yaml_line_of(safe_yaml.compose(text),
                                                           ("slug",))),))
    return PersonaCheck(persona)


def parse_persona(text: str, path: Path) -> Persona:
    """Parse one persona file; raises ``ValueError`` with a message naming file and field."""
    check = check_persona_text(text, expected_slug=path.stem)
    if check.persona is None:
        first = check.errors[0]
        if first.field == "(YAML syntax)":
            where = f" at line {first.line}" if first.line else ""
            raise ValueError(f"{path.name}: YAML syntax error{where}: {first.message}")
        shown = "; ".join(f"{e.field}: {e.message}" for e in check.errors[:5])
        more = f" (+{len(check.errors) - 5} more)" if len(check.errors) > 5 else ""
        raise ValueError(f"{path.name}: {shown}{more}")
    return check.persona


def load_personas(directory: Path) -> PersonaCatalog:
    """Load every ``*.yaml`` in ``directory``, collecting the files that fail."""
    catalog = PersonaCatalog()
    for path in sorted(directory.glob("*.yaml")):
        try:
            persona = parse_persona(path.read_text(encoding="utf-8"), path)
        except (OSError, UnicodeDecodeError) as exc:
            catalog.skipped.append(SkippedFile(path, f"{path.name}: cannot read: {exc}"))
            continue
        except ValueError as exc:
            catalog.skipped.append(SkippedFile(path, str(exc)))
            continue
        catalog.personas[persona.slug] = persona
        catalog.paths[persona.slug] = path
    return catalog
