"""LLM access: one chat-model interface, the OpenAI-compatible client, token counting."""

from llm.client import ChatMessage, ChatModel, LLMError, OpenAIChatModel, Usage
from llm.tokens import count_tokens

__all__ = ["ChatMessage", "ChatModel", "LLMError", "OpenAIChatModel", "Usage", "count_tokens"]
