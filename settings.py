"""One settings object, read from the environment once (pydantic-settings).

Names follow the environment variables users already know (``DATABASE_URL``,
``OPENAI_API_KEY``, ``OPENAI_BASE_URL``); the rest are plain upper-case field
names.  Create it with :func:`get_settings` (cached) or ``Settings()`` in tests.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Backend = Literal["scripted", "openai", "local"]

#: What a remote model needs, in the words every message uses.
REMOTE_NEEDS = "OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a self-hosted OpenAI-compatible server)"


class Settings(BaseSettings):
    """Application configuration.

    Attributes:
        data_dir: where the SQLite file and caches live.
        database_url: SQLAlchemy URL; defaults to ``sqlite:///<data_dir>/practice.db``.
        llm_backend: ``scripted`` (embedded default, no model), ``openai`` (any
            OpenAI-compatible endpoint) or ``local`` (the bundled demo model).
        judge: ``none`` (deterministic grading only) or ``llm`` (add the LLM judge pass).
        judge_backend: ``openai`` (the configured endpoint) or ``local`` (the bundled demo model).
        customer_model / judge_model: model names, configured separately.
        request_timeout / max_retries: the openai SDK's own timeout and retries.
        context_tokens: token budget for the customer prompt (system + history).
        max_message_chars: longest agent message accepted.
        max_turns: agent turns before the customer ends the chat ("time").
        max_session_tokens: model tokens (in + out) after which a chat is ended politely.
        trainer_scope: trainers see every trainee (``all``) or only those in their own team (``team``).
        price_per_1k_input / price_per_1k_output: optional prices for the cost estimate shown in the chat.
        sso_provider: the ``[auth.<name>]`` provider in secrets.toml to sign on with (None: the ``[auth]`` one).
        sso_admins / sso_hr / sso_trainers: who gets which role after single sign-on (``st.login``): e-mail
            addresses or group names (from the ``sso_groups_claim`` of the identity token), checked in that order;
            everyone else is a trainee.
        sso_domains: e-mail domains allowed to sign on (empty: any verified address).
        sso_team_claim: the identity-token claim that names the user's team (e.g. ``department``), if any.
        db_pool_size / db_pool_overflow: database connections kept open / allowed beyond that, per process.
        db_pool_timeout: seconds a request waits for a free connection before the user is told the database is
            busy.
        attempt_reconnect_grace_seconds: how long a certification attempt waits for its trainee after a reload
            or a dropped connection (the clock keeps running); a new browser session of the same trainee
            resumes it within this time, after it the attempt counts as abandoned.
        verify_checks_per_minute: certificate checks one client (IP address) may make per minute on the public
            Verify page (0: no limit, refused in production).
        login_attempts_per_minute: login attempts (and setup-token tries) one client address may make per minute,
            whatever the usernames (0: no limit, refused in production). A class behind one office address logs
            in at once, so the default leaves room for 30.
        login_accounts_per_hour: how many different usernames one client address may fail to log in to per hour
            (password spraying: one password tried on many accounts); once reached, that address waits for the
            next hour (0: no limit, refused in production). Repeated failures on one account are the lockout's.
        login_lockout_after / login_lockout_minutes: an account is locked for that many minutes after that many
            failed logins in a row, whoever tried.
        setup_token_minutes: how long the first-admin setup token printed at start-up stays valid.
        client_ip_header: behind a load balancer, the request header holding the client's address (e.g.
            ``X-Forwarded-For``; its first address is used); unset, the connection's address is the client.
            Only set it when the balancer overwrites that header, or clients can pick their own address.
        public_url: the app's public address (e.g. ``https://practice.example.com``), printed on certificates so
            a reader can check the code on its Verify page. Production issues no certificate PDF without it
            (a warning at start-up says so); development prints the local address.
        session_secret: signs the "stay logged in" cookie of a password login (None: a random secret generated
            once and kept in ``data_dir``, for development; production needs it set, shared by every replica).
        session_days: how long a password login stays valid in a browser (the cookie's and the server row's life).
        trust_min_judged / trust_kappa: a criterion is trusted once trainers judged it on at least this many chats
            and the grader's quadratic-weighted kappa against them reaches this; a certification result that an
            untrusted criterion could move across the pass mark goes to review.
        dispute_days: how many days after a grade (a certification attempt's result) its trainee may dispute it.
        rush_patience_seconds: in rush hour, how long a customer at normal difficulty waits unanswered before
            writing again (shorter for more sensitive customers, twice as long once kept posted).
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("data")
    database_url: str = ""
    llm_backend: Backend = "scripted"
    openai_base_url: str | None = None
    openai_api_key: SecretStr | None = None
    judge: Literal["none", "llm"] = "none"
    judge_backend: Literal["openai", "local"] = "openai"
    customer_model: str = "gpt-4o-mini"
    judge_model: str = "gpt-4o-mini"
    request_timeout: float = Field(default=30.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)
    context_tokens: int = Field(default=3000, ge=500)
    max_message_chars: int = Field(default=4000, ge=100)
    max_turns: int = Field(default=30, ge=1)
    max_session_tokens: int = Field(default=60_000, ge=1000)
    trainer_scope: Literal["all", "team"] = "all"
    price_per_1k_input: float | None = Field(default=None, ge=0)
    price_per_1k_output: float | None = Field(default=None, ge=0)
    personas_dir: Path = Path(__file__).parent / "personas"
    sso_provider: str | None = None
    sso_admins: list[str] = []
    sso_hr: list[str] = []
    sso_trainers: list[str] = []
    sso_domains: list[str] = []
    sso_groups_claim: str = "groups"
    sso_team_claim: str | None = None
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_pool_overflow: int = Field(default=20, ge=0, le=200)
    db_pool_timeout: float = Field(default=10.0, gt=0)
    attempt_reconnect_grace_seconds: int = Field(default=120, ge=0, le=3600)
    verify_checks_per_minute: int = Field(default=10, ge=0, le=10_000)
    login_attempts_per_minute: int = Field(default=30, ge=0, le=10_000)
    login_accounts_per_hour: int = Field(default=10, ge=0, le=100_000)
    login_lockout_after: int = Field(default=5, ge=1, le=100)
    login_lockout_minutes: int = Field(default=15, ge=1, le=1440)
    setup_token_minutes: int = Field(default=60, ge=1, le=10_080)
    client_ip_header: str | None = None
    public_url: str | None = None
    session_secret: SecretStr | None = None
    session_days: int = Field(default=14, ge=1, le=365)
    trust_min_judged: int = Field(default=30, ge=1, le=100_000)
    trust_kappa: float = Field(default=0.6, ge=-1, le=1)
    dispute_days: int = Field(default=14, ge=0, le=365)
    rush_patience_seconds: float = Field(default=45.0, ge=1, le=3600)

    @property
    def remote_model_configured(self) -> bool:
        """Whether a remote (OpenAI-compatible) model has an address or a key: the one place this rule lives."""
        return bool(self.openai_api_key or self.openai_base_url)

    @model_validator(mode="after")
    def _derive_and_check(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'practice.db'}"
        uses_model = self.llm_backend == "openai" or (self.judge == "llm" and self.judge_backend == "openai")
        if uses_model and not self.remote_model_configured:
            raise ValueError(f"LLM_BACKEND=openai or JUDGE=llm needs {REMOTE_NEEDS}")
        problems = production_problems(self, sso=self.sso_provider is not None)
        if problems:
            raise ValueError("\n".join(problems))
        return self


#: The shortest session secret accepted in production.
MIN_SECRET = 32


def production_problems(settings: Settings, *, sso: bool) -> list[str]:
    """What ``ENVIRONMENT=production`` refuses to start with: unsafe defaults, each said with what to set instead
    (``sso``: single sign-on is configured). Empty in development."""
    if settings.environment != "production":
        return []
    problems = []
    secret = settings.session_secret.get_secret_value() if settings.session_secret is not None else ""
    if not secret:
        problems.append("ENVIRONMENT=production needs SESSION_SECRET (a long random string, the same on every "
                        "replica): it signs the cookie that keeps a password login across reloads")
    elif len(secret) < MIN_SECRET:
        problems.append(f"SESSION_SECRET has {len(secret)} characters: production needs at least {MIN_SECRET} "
                        "random ones (python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    for name, value, what in (
            ("VERIFY_CHECKS_PER_MINUTE", settings.verify_checks_per_minute,
             "the public Verify page without a rate limit: anyone could try certificate codes as fast as the "
             "server answers"),
            ("LOGIN_ATTEMPTS_PER_MINUTE", settings.login_attempts_per_minute,
             "the login without a per-address limit: one machine could try passwords as fast as the server answers"),
            ("LOGIN_ACCOUNTS_PER_HOUR", settings.login_accounts_per_hour,
             "the login without an hourly limit on accounts per address: one machine could try a password on "
             "every account (password spraying)")):
        if value == 0:
            problems.append(f"{name}=0 leaves {what}. Set a limit (or leave it unset for the default).")
    if sso and not settings.sso_domains:
        problems.append("Single sign-on is configured but SSO_DOMAINS is empty: any address the identity "
                        "provider verifies (with a public provider, anyone) could sign on. Set SSO_DOMAINS to "
                        "your organisation's e-mail domains, e.g. SSO_DOMAINS='[\"example.com\"]'")
    return problems


def production_warnings(settings: Settings, *, sso: bool) -> list[str]:
    """What production starts with but the log should question: settings that are valid in some setups and a
    mistake in most, or that leave a feature off (printed by server.py at start)."""
    if settings.environment != "production":
        return []
    warnings = []
    if not settings.public_url:
        warnings.append("PUBLIC_URL is not set: no certificate PDF is issued until it is (a certificate tells its "
                        "reader the address to check its code at). Passes and their codes are still recorded. Set "
                        "PUBLIC_URL to the app's public address, e.g. PUBLIC_URL=https://practice.example.com")
    if not sso:
        return warnings
    domains = {d.lower().lstrip("@") for d in settings.sso_domains}
    for name, entries in (("SSO_ADMINS", settings.sso_admins), ("SSO_HR", settings.sso_hr),
                          ("SSO_TRAINERS", settings.sso_trainers)):
        outside = [e for e in entries if "@" in e and domains and e.rsplit("@", 1)[1].lower() not in domains]
        if outside:
            warnings.append(f"{name} names {', '.join(outside)}, outside SSO_DOMAINS: unless that is a group's name "
                            "in the groups claim, that person can never sign on here (a typo, or a missing domain).")
    if settings.trainer_scope == "team" and not settings.sso_team_claim:
        warnings.append("TRAINER_SCOPE=team with single sign-on and no SSO_TEAM_CLAIM: people who sign on have no "
                        "team until an admin sets one on Settings, and their trainers do not see them until then.")
    return warnings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

