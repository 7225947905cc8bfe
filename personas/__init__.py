"""Persona files (YAML) and their schema and loader."""

from personas.loader import PersonaCatalog, SkippedFile, load_personas, parse_persona, version_hash
from personas.schema import Persona

__all__ = ["Persona", "PersonaCatalog", "SkippedFile", "load_personas", "parse_persona", "version_hash"]
