"""Load and validate every persona file; a broken file is skipped, never fatal."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from personas.schema import Persona


@dataclass(frozen=True)
class SkippedFile:
    """A persona file that could not be loaded, with a message naming file and field."""

    path: Path
    message: str


@dataclass
class PersonaCatalog:
    personas: dict[str, Persona] = field(default_factory=dict)
    skipped: list[SkippedFile] = field(default_factory=list)

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


def _describe(error: ValidationError, path: Path) -> str:
    parts = []
    # An unknown key is usually a typo and the cause of the "Field required" errors: show it first.
    errors = sorted(error.errors(), key=lambda e: e["type"] != "extra_forbidden")
    for e in errors[:5]:
        loc = ".".join(str(x) for x in e["loc"]) or "(top level)"
        parts.append(f"{loc}: {e['msg']}")
    more = f" (+{error.error_count() - 5} more)" if error.error_count() > 5 else ""
    return f"{path.name}: " + "; ".join(parts) + more


def parse_persona(text: str, path: Path) -> Persona:
    """Parse one persona document; raises ``ValueError`` with a message naming file and field."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None)
        raise ValueError(f"{path.name}: YAML syntax error{where}" + (f": {problem}" if problem else "")) from exc
    if not isinstance(raw, dict):
        raise ValueError(f"{path.name}: expected a mapping of persona fields, got {type(raw).__name__}")
    try:
        persona = Persona.model_validate(raw)
    except ValidationError as exc:
        raise ValueError(_describe(exc, path)) from exc
    if persona.slug != path.stem:
        raise ValueError(f"{path.name}: slug: '{persona.slug}' must match the file name '{path.stem}'")
    return persona


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
    return catalog
