"""Admin use cases: what is configured, and a one-click connection test of the models."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from llm.client import LLMError
from llm.models import chat_model
from services.auth import Actor
from services.permissions import Permission
from services.permissions import require as require_permission
from settings import Settings


def _admin_only(actor: Actor) -> None:
    require_permission(actor, Permission.SEE_SETTINGS)


@dataclass(frozen=True)
class ConnectionResult:
    target: str
    ok: bool
    detail: str
    latency_ms: float | None = None


class AdminService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def configuration(self, actor: Actor) -> dict[str, str]:
        """The live configuration, with secrets shown only as set / not set (admins only)."""
        _admin_only(actor)
        s = self.settings
        return {
            "Customer backend": s.llm_backend,
            "Customer model": {"scripted": "none (scripted lines)",
                               "local": "SmolLM2-135M (tiny demo model, on this machine)"}.get(s.llm_backend,
                                                                                             s.customer_model),
            "Judge": "none (deterministic evidence only)" if s.judge == "none" else (
                "LLM judge: SmolLM2-135M (tiny demo model)" if s.judge_backend == "local"
                else f"LLM judge: {s.judge_model}"),
            "Model endpoint": s.openai_base_url or ("OpenAI" if s.openai_api_key else "not configured"),
            "API key": "set" if s.openai_api_key else "not set",
            "Database": make_url(s.database_url).render_as_string(hide_password=True),
            "Timeout / retries": f"{s.request_timeout:g} s / {s.max_retries}",
            "Limits": f"{s.max_message_chars:,} characters a message, {s.max_turns} turns, "
                      f"{s.max_session_tokens:,} tokens a chat",
        }

    def test_connection(self, actor: Actor, target: str) -> ConnectionResult:
        """Send a one-word request to the customer or judge model and time it (admins only)."""
        _admin_only(actor)
        s = self.settings
        backend = s.llm_backend if target == "customer" else (s.judge_backend if s.judge == "llm" else "none")
        if backend in ("scripted", "none"):
            return ConnectionResult(target, True, "no model is used for this role; nothing to test")
        start = time.perf_counter()
        try:
            chat = chat_model(s, "customer" if target == "customer" else "judge", backend, max_retries=0)
            model = chat.model
            reply = chat.complete([{"role": "user", "content": "Say OK."}], max_tokens=5, temperature=0)
        except LLMError as exc:
            return ConnectionResult(target, False, str(exc))
        elapsed = (time.perf_counter() - start) * 1000
        return ConnectionResult(target, True, f"{model} answered {reply.strip()[:40]!r}", elapsed)
