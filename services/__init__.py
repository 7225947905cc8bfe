"""Use cases: what pages and command-line tools may ask for. Authorization will live here too."""

from __future__ import annotations

from dataclasses import dataclass

from db.engine import session_factory
from db.migrate import upgrade
from personas.loader import load_personas
from services.admin import AdminService, ConnectionResult
from services.analytics import AnalyticsService
from services.auth import ROLES, AccessDenied, Actor, AuthService
from services.grading import GradingService, HistoryItem, StoredGrade
from services.practice import DIFFICULTIES, PracticeService, TurnStream
from services.review import SORTS, ReviewFilters, ReviewService
from services.views import MessageView, PersonaCard, PracticeError, SessionSummary, SessionView
from settings import Settings


@dataclass(frozen=True)
class Services:
    """Every use case the pages and command-line tools may call."""

    practice: PracticeService
    grading: GradingService
    admin: AdminService
    auth: AuthService
    review: ReviewService
    analytics: AnalyticsService

    def end_and_grade(self, actor: Actor, session_id: int) -> StoredGrade:
        """The trainee ends the chat; it is graded at once."""
        self.practice.end(actor, session_id)
        return self.grading.grade_session(actor, session_id)


def build_services(settings: Settings) -> Services:
    """Migrate the database, load personas and wire the services (call once per process)."""
    upgrade(settings.database_url)
    catalog = load_personas(settings.personas_dir)
    sessions = session_factory(settings.database_url)
    return Services(PracticeService(settings, catalog, sessions), GradingService(settings, catalog, sessions),
                    AdminService(settings), AuthService(sessions), ReviewService(settings, catalog, sessions),
                    AnalyticsService(settings, sessions))


def build_practice_service(settings: Settings) -> PracticeService:
    return build_services(settings).practice


__all__ = [
    "DIFFICULTIES",
    "ROLES",
    "SORTS",
    "AccessDenied",
    "Actor",
    "AdminService",
    "AuthService",
    "ConnectionResult",
    "GradingService",
    "HistoryItem",
    "MessageView",
    "PersonaCard",
    "PracticeError",
    "PracticeService",
    "ReviewFilters",
    "ReviewService",
    "Services",
    "SessionSummary",
    "SessionView",
    "StoredGrade",
    "TurnStream",
    "build_practice_service",
    "build_services",
]
