"""Use cases: what pages and command-line tools may ask for, each deciding, authorizing (see
:mod:`services.permissions` and :mod:`services.access`) and owning one transaction: a unit of work
(:mod:`db.repositories`) whose repositories hold every query, committed once. A use case that needs another
service's write calls that service's ``*_in(uow, ...)`` method inside its own unit of work. ``build_services``
wires them once per process."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

from db.engine import cached_engine
from db.migrate import upgrade
from personas.loader import load_personas
from services.accounts import Account, AccountService
from services.admin import AdminService, ConnectionResult
from services.analytics import AnalyticsService
from services.auth import ROLES, AccessDenied, AccountError, Actor, AuthService
from services.branches import BranchService, BranchView
from services.calibration import CalibrationService
from services.catalog import LiveCatalog
from services.certification import CampaignSpec, CertificationService
from services.disputes import DisputeService, DisputeView
from services.first_run import FirstRunService, SetupRefused
from services.grading import GradingService, HistoryItem, StoredGrade
from services.hints import HintService, HintView
from services.login_sessions import LoginRefused, LoginSessionService, LoginTicket, ResumedLogin
from services.practice import DIFFICULTIES, PracticeService, TurnStream
from services.rate_limit import RateLimited
from services.review import SORTS, ReviewFilters, ReviewService
from services.rubric_editor import RubricEditor
from services.rubrics import LiveRubric
from services.rush import RushReport, RushService, RushView
from services.scenarios import ScenarioService
from services.teams import TeamService, TeamView
from services.views import DatabaseUnavailable, MessageView, PersonaCard, PracticeError, SessionSummary, SessionView
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
    scenarios: ScenarioService
    certification: CertificationService
    accounts: AccountService
    teams: TeamService
    login_sessions: LoginSessionService
    calibration: CalibrationService
    disputes: DisputeService
    rubrics: RubricEditor
    branches: BranchService
    hints: HintService
    rush: RushService
    first_run: FirstRunService


BUSY = ("database is locked", "database is busy", "database table is locked", "lock timeout",
        "could not obtain lock", "deadlock detected")


def _plain_database_errors(context: ExceptionContext) -> None:
    """Engine hook: a database that stays busy past its bounded wait (SQLite's busy timeout) or cannot be reached
    becomes a :class:`DatabaseUnavailable` with a message for people, not a driver traceback."""
    original = context.original_exception
    text = str(original).lower()
    if any(marker in text for marker in BUSY):
        raise DatabaseUnavailable("The database is busy (many people are practising at once). Nothing stored was "
                                  "lost: try again in a moment.") from original
    if context.is_disconnect or (context.connection is None and "connect" in text):
        raise DatabaseUnavailable("The database cannot be reached right now. Nothing stored was lost: try again "
                                  "in a moment.") from original


class PlainQueuePool(QueuePool):
    """The usual pool, except that waiting too long for a free connection (everyone is busy) is said plainly."""

    def _do_get(self) -> ConnectionPoolEntry:
        try:
            return super()._do_get()
        except PoolTimeout:
            raise DatabaseUnavailable("The database is busy (many people are practising at once). Nothing stored "
                                      "was lost: try again in a moment.") from None


def _engine(settings: Settings, pool_size: int, overflow: int) -> Engine:
    engine = cached_engine(settings.database_url, pool_size, overflow, settings.db_pool_timeout, PlainQueuePool)
    if not event.contains(engine, "handle_error", _plain_database_errors):
        event.listen(engine, "handle_error", _plain_database_errors)
    return engine


def _refuse_nul(db: Session, _context: object, _instances: object) -> None:
    """Session hook, before any write: text holding a NUL character is refused on both databases alike
    (PostgreSQL cannot store it and would fail with a driver error; SQLite would keep it)."""
    for row in (*db.new, *db.dirty):
        for column in row.__table__.columns:
            value = getattr(row, column.key, None)
            if isinstance(value, str) and "\x00" in value:
                raise PracticeError("The text contains a NUL character (\\x00), which cannot be stored: remove it "
                                    "and try again.")


def build_services(settings: Settings) -> Services:
    """Migrate the database, load personas and wire the services (call once per process).

    The persona catalog has a small pool of its own: services ask it for a persona while holding a connection
    of theirs, and a shared pool would let twenty such requests hold every connection while each waits for one
    more (a deadlock that ended in pool timeouts under load)."""
    upgrade(settings.database_url)
    sessions = sessionmaker(_engine(settings, settings.db_pool_size, settings.db_pool_overflow),
                            expire_on_commit=False)
    event.listen(sessions, "before_flush", _refuse_nul)
    catalog_sessions: sessionmaker[Session] = sessionmaker(_engine(settings, 2, 2), expire_on_commit=False)
    catalog = LiveCatalog(load_personas(settings.personas_dir), catalog_sessions)
    rubric = LiveRubric(catalog_sessions)
    grading = GradingService(settings, catalog, sessions, rubric)
    calibration = CalibrationService(settings, catalog, sessions, rubric)
    calibration.record_past_overrides()
    practice = PracticeService(settings, catalog, sessions, grading)
    return Services(practice, grading, AdminService(settings), AuthService(sessions, settings),
                    ReviewService(settings, catalog, sessions), AnalyticsService(settings, sessions, catalog),
                    ScenarioService(settings, catalog, sessions),
                    CertificationService(settings, catalog, sessions, practice, grading, calibration),
                    accounts=AccountService(sessions), teams=TeamService(sessions),
                    login_sessions=LoginSessionService(sessions, settings), calibration=calibration,
                    disputes=DisputeService(settings, sessions, grading),
                    rubrics=RubricEditor(settings, sessions, rubric, grading, calibration),
                    branches=BranchService(settings, catalog, sessions), hints=HintService(settings, catalog, sessions),
                    rush=RushService(practice), first_run=FirstRunService(sessions, settings))


def build_practice_service(settings: Settings) -> PracticeService:
    return build_services(settings).practice


__all__ = [
    "DIFFICULTIES",
    "ROLES",
    "SORTS",
    "AccessDenied",
    "Account",
    "AccountError",
    "AccountService",
    "Actor",
    "AdminService",
    "AuthService",
    "BranchService",
    "BranchView",
    "CalibrationService",
    "CampaignSpec",
    "CertificationService",
    "ConnectionResult",
    "DatabaseUnavailable",
    "DisputeService",
    "DisputeView",
    "FirstRunService",
    "GradingService",
    "HintService",
    "HintView",
    "HistoryItem",
    "LoginRefused",
    "LoginSessionService",
    "LoginTicket",
    "MessageView",
    "PersonaCard",
    "PracticeError",
    "PracticeService",
    "RateLimited",
    "ResumedLogin",
    "ReviewFilters",
    "ReviewService",
    "RubricEditor",
    "RushReport",
    "RushService",
    "RushView",
    "ScenarioService",
    "Services",
    "SessionSummary",
    "SessionView",
    "SetupRefused",
    "StoredGrade",
    "TeamService",
    "TeamView",
    "TurnStream",
    "build_practice_service",
    "build_services",
]
