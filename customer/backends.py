"""Build the customer backend a session runs on, from settings."""

from __future__ import annotations

import secrets

from customer.backend import CustomerBackend
from customer.llm_backend import LLMCustomerBackend
from customer.scripted import ScriptedBackend
from llm.models import ModelUnavailable, chat_model
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
    if name in ("openai", "local"):
        from llm.local import count_local_tokens

        try:
            chat = chat_model(settings, "customer", name)
        except ModelUnavailable as exc:
            raise BackendUnavailable(str(exc)) from None
        if name == "local":
            return LLMCustomerBackend(chat, context_tokens=settings.context_tokens, name="local",
                                      counter=count_local_tokens, canary=PROCESS_CANARY)
        return LLMCustomerBackend(chat, context_tokens=settings.context_tokens, canary=PROCESS_CANARY)
    raise BackendUnavailable(f"unknown backend '{name}' (known: {', '.join(BACKENDS)})")
