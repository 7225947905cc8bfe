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
        sso_admins / sso_trainers: who gets which role after single sign-on (``st.login``): e-mail addresses
            or group names (from the ``sso_groups_claim`` of the identity token); everyone else is a trainee.
        sso_domains: e-mail domains allowed to sign on (empty: any verified address).
        sso_team_claim: the identity-token claim that names the user's team (e.g. ``department``), if any.
        db_pool_size / db_pool_overflow: database connections kept open / allowed beyond that, per process.
        db_pool_timeout: seconds a request waits for a free connection before the user is told the database is
            busy.
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
    sso_trainers: list[str] = []
    sso_domains: list[str] = []
    sso_groups_claim: str = "groups"
    sso_team_claim: str | None = None
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_pool_overflow: int = Field(default=20, ge=0, le=200)
    db_pool_timeout: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _derive_and_check(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'practice.db'}"
        uses_model = self.llm_backend == "openai" or (self.judge == "llm" and self.judge_backend == "openai")
        if uses_model and not (self.openai_api_key or self.openai_base_url):
            raise ValueError(
                "LLM_BACKEND=openai or JUDGE=llm needs OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL "
                "(a self-hosted OpenAI-compatible server)"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()

