"""Use cases: what pages and command-line tools may ask for. Authorization will live here too."""

from __future__ import annotations

from db.engine import session_factory
from db.migrate import upgrade
from personas.loader import load_personas
from services.practice import DIFFICULTIES, PracticeService, TurnStream
from services.views import MessageView, PersonaCard, PracticeError, SessionSummary, SessionView
from settings import Settings


def build_practice_service(settings: Settings) -> PracticeService:
    """Migrate the database, load personas and wire the service (call once per process)."""
    upgrade(settings.database_url)
    return PracticeService(settings, load_personas(settings.personas_dir), session_factory(settings.database_url))


__all__ = ["DIFFICULTIES", "MessageView", "PersonaCard", "PracticeError", "PracticeService", "SessionSummary",
           "SessionView", "TurnStream", "build_practice_service"]
