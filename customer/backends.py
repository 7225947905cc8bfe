"""Build the customer backend a session runs on, from settings."""

from __future__ import annotations

from customer.backend import CustomerBackend
from customer.llm_backend import LLMCustomerBackend
from customer.scripted import ScriptedBackend
from llm.client import OpenAIChatModel
from settings import Settings

BACKENDS = ("scripted", "openai", "local")


class BackendUnavailable(RuntimeError):
    pass


def make_backend(name: str, settings: Settings) -> CustomerBackend:
    """The backend called ``name``; ``BackendUnavailable`` with a reason when it cannot run here."""
    if name == "scripted":
        return ScriptedBackend()
    if name == "openai":
        if not (settings.openai_api_key or settings.openai_base_url):
            raise BackendUnavailable("the openai backend needs OPENAI_API_KEY or OPENAI_BASE_URL")
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        chat = OpenAIChatModel(model=settings.customer_model, base_url=settings.openai_base_url, api_key=key,
                               timeout=settings.request_timeout, max_retries=settings.max_retries)
        return LLMCustomerBackend(chat, context_tokens=settings.context_tokens)
    if name == "local":
        raise BackendUnavailable(
            "the local demo model (SmolLM2 via llama-cpp-python) is not part of this build yet; "
            "use --backend scripted or openai"
        )
    raise BackendUnavailable(f"unknown backend '{name}' (known: {', '.join(BACKENDS)})")
