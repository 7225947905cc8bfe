"""Build the customer backend a session runs on, from settings."""

from __future__ import annotations

import secrets

from customer.backend import CustomerBackend
from customer.llm_backend import LLMCustomerBackend
from customer.scripted import ScriptedBackend
from llm.client import openai_chat
from settings import Settings

BACKENDS = ("scripted", "openai", "local")


class BackendUnavailable(RuntimeError):
    pass


def new_canary() -> str:
    """A random marker put in the customer's system prompt: any reply containing it leaked the prompt."""
    return f"REF-{secrets.token_hex(5).upper()}"


#: One per process, not per turn: the system prompt must stay byte-identical across a chat's turns, or the
#: model server's prompt cache misses on every turn.
PROCESS_CANARY = new_canary()


def make_backend(name: str, settings: Settings) -> CustomerBackend:
    """The backend called ``name``; ``BackendUnavailable`` with a reason when it cannot run here."""
    if name == "scripted":
        return ScriptedBackend()
    if name == "openai":
        if not (settings.openai_api_key or settings.openai_base_url):
            raise BackendUnavailable("the openai backend needs OPENAI_API_KEY or OPENAI_BASE_URL")
        return LLMCustomerBackend(openai_chat(settings, settings.customer_model),
                                  context_tokens=settings.context_tokens, canary=PROCESS_CANARY)
    if name == "local":
        from llm.client import LLMError
        from llm.local import count_local_tokens, shared_server

        try:
            server = shared_server()
        except LLMError as exc:
            raise BackendUnavailable(str(exc)) from None
        return LLMCustomerBackend(server.chat(timeout=settings.request_timeout, max_retries=settings.max_retries),
                                  context_tokens=settings.context_tokens, name="local", counter=count_local_tokens,
                                  canary=PROCESS_CANARY)
    raise BackendUnavailable(f"unknown backend '{name}' (known: {', '.join(BACKENDS)})")
