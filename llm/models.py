"""The model roles, wired once: the customer's model and the judge's, each local (the bundled demo model) or remote
(any OpenAI-compatible server), built here and nowhere else.

The rule that a remote model needs an address or a key is ``Settings.remote_model_configured``; settings
validation and this factory are its only readers.
"""

from __future__ import annotations

from typing import Literal

from llm.client import LLMError, OpenAIChatModel
from settings import REMOTE_NEEDS, Settings

Role = Literal["customer", "judge"]


class ModelUnavailable(LLMError):
    """The model for a role cannot run here (no key or address, the local model missing): the reason says why."""


def chat_model(settings: Settings, role: Role, backend: str, *, timeout: float | None = None,
               max_retries: int | None = None) -> OpenAIChatModel:
    """The chat model a role runs on: ``backend`` is ``local`` or ``openai`` (the remote server)."""
    timeout = settings.request_timeout if timeout is None else timeout
    retries = settings.max_retries if max_retries is None else max_retries
    if backend == "local":
        from llm.local import shared_server

        try:
            return shared_server().chat(timeout=timeout, max_retries=retries)
        except LLMError as exc:
            raise ModelUnavailable(f"the local {role} model is not available: {exc}") from None
    if backend != "openai":
        raise ModelUnavailable(f"unknown model backend '{backend}' for the {role} (choose local or openai)")
    if not settings.remote_model_configured:
        raise ModelUnavailable(f"the {role} model (openai backend) needs {REMOTE_NEEDS}")
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    model = settings.customer_model if role == "customer" else settings.judge_model
    return OpenAIChatModel(model=model, base_url=settings.openai_base_url, api_key=key, timeout=timeout,
                           max_retries=retries)
