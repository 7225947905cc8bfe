"""Build the customer backend a session runs on, from settings."""

from __future__ import annotations

from customer.backend import CustomerBackend
from customer.llm_backend import LLMCustomerBackend
from customer.scripted import ScriptedBackend
from llm.client import openai_chat
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
        return LLMCustomerBackend(openai_chat(settings, settings.customer_model),
                                  context_tokens=settings.context_tokens)
    if name == "local":
        raise BackendUnavailable(
            "the local demo model (SmolLM2 via llama-cpp-python) is not part of this build yet; "
            "use --backend scripted or openai"
        )
    raise BackendUnavailable(f"unknown backend '{name}' (known: {', '.join(BACKENDS)})")
