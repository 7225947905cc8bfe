"""One chat-model interface and its OpenAI-compatible implementation.

Everything that speaks the OpenAI API (OpenAI, Azure OpenAI, Ollama, vLLM,
llama.cpp server, LM Studio) goes through :class:`OpenAIChatModel`.  Timeouts
and retries are the SDK's own, configured once here; failures surface as
:class:`LLMError` with a message fit for a user.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol, cast

import openai
from openai.types.chat import ChatCompletionMessageParam

ChatMessage = dict[str, str]


class LLMError(RuntimeError):
    """The model did not answer usefully; ``str()`` is a one-line reason."""


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


class ChatModel(Protocol):
    model: str

    def stream(self, messages: list[ChatMessage], *, max_tokens: int, temperature: float,
               usage: Usage | None = None) -> Iterator[str]:
        """Yield text chunks of the reply."""
        ...

    def complete(self, messages: list[ChatMessage], *, max_tokens: int, temperature: float,
                 usage: Usage | None = None, json_schema: dict[str, Any] | None = None) -> str:
        """The whole reply at once; with ``json_schema``, structured output constrained to it."""
        ...


def _reason(exc: Exception, timeout: float) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return f"the model did not answer within {timeout:g} s"
    if isinstance(exc, openai.APIConnectionError):
        return "could not reach the model server"
    if isinstance(exc, openai.RateLimitError):
        return "the model server is rate-limiting requests (429)"
    if isinstance(exc, openai.APIStatusError):
        return f"the model server answered HTTP {exc.status_code}"
    return f"model call failed: {type(exc).__name__}"


def _params(messages: list[ChatMessage]) -> list[ChatCompletionMessageParam]:
    return cast(list[ChatCompletionMessageParam], messages)


class OpenAIChatModel:
    """A chat model behind any OpenAI-compatible endpoint."""

    def __init__(self, *, model: str, base_url: str | None, api_key: str | None, timeout: float,
                 max_retries: int, schema_style: str = "openai") -> None:
        """``schema_style``: ``openai`` sends ``json_schema`` structured output; ``llama_cpp`` sends llama.cpp's
        ``json_object`` + ``schema``, which its server compiles to a grammar so the output always parses."""
        self.model = model
        self.timeout = timeout
        self.schema_style = schema_style
        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=max_retries,
        )

    def stream(self, messages: list[ChatMessage], *, max_tokens: int, temperature: float,
               usage: Usage | None = None) -> Iterator[str]:
        started = finished = False
        try:
            response: Any = self._client.chat.completions.create(
                model=self.model, messages=_params(messages), max_tokens=max_tokens,
                temperature=temperature, stream=True, stream_options={"include_usage": True},
            )
            for chunk in response:
                started = True
                if usage is not None and getattr(chunk, "usage", None):
                    usage.prompt_tokens = chunk.usage.prompt_tokens or 0
                    usage.completion_tokens = chunk.usage.completion_tokens or 0
                if not chunk.choices:
                    continue
                if chunk.choices[0].delta and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
                finished = finished or chunk.choices[0].finish_reason is not None
        except openai.APIConnectionError as exc:
            if started and not isinstance(exc, openai.APITimeoutError):
                raise LLMError("the connection to the model was lost mid-reply") from exc
            raise LLMError(_reason(exc, self.timeout)) from exc
        except openai.OpenAIError as exc:
            raise LLMError(_reason(exc, self.timeout)) from exc
        if not finished:
            raise LLMError("the reply was cut off before the model finished")

    def complete(self, messages: list[ChatMessage], *, max_tokens: int, temperature: float,
                 usage: Usage | None = None, json_schema: dict[str, Any] | None = None) -> str:
        extra: dict[str, Any] = {}
        if json_schema is not None and self.schema_style == "llama_cpp":
            extra["response_format"] = {"type": "json_object", "schema": json_schema}
        elif json_schema is not None:
            extra["response_format"] = {"type": "json_schema",
                                        "json_schema": {"name": "grade", "schema": json_schema, "strict": True}}
        try:
            response = self._client.chat.completions.create(
                model=self.model, messages=_params(messages), max_tokens=max_tokens,
                temperature=temperature, **extra,
            )
        except openai.OpenAIError as exc:
            raise LLMError(_reason(exc, self.timeout)) from exc
        if not response.choices:
            raise LLMError("the model returned no choices")
        if usage is not None and response.usage is not None:
            usage.prompt_tokens = response.usage.prompt_tokens
            usage.completion_tokens = response.usage.completion_tokens
        return response.choices[0].message.content or ""
